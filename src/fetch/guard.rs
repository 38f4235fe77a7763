//! The network guard: refuses loopback, private, link-local, CGNAT, NAT64, unspecified,
//! multicast and other non-public addresses, unless the config opts in.
//!
//! The check runs inside the DNS resolver, so the address checked is the address connected to
//! (no DNS-rebinding gap), and on IP-literal hosts before a request or redirect is made.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Which hosts may reach non-public addresses.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub allow_private_networks: bool,
    /// Host names or IP literals exempt from the refusal.
    pub allow_hosts: Vec<String>,
}

impl Policy {
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allow_private_networks
            || self
                .allow_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Checks a URL's host when it is an IP literal (names are checked at resolution).
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        if is_public(ip) || self.host_allowed(&ip.to_string()) {
            Ok(())
        } else {
            Err(format!(
                "refusing non-public address {ip} (set fetch.allow_private_networks or fetch.allow_hosts to allow it)"
            ))
        }
    }
}

/// Whether `ip` is a globally routable unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // Only 2000::/3 is global unicast; inside it, the special-purpose blocks
            // (IANA IPv6 Special-Purpose Address Registry) that can reach or wrap private space.
            let special = match s[0] {
                0x2001 => s[1] < 0x200 || s[1] == 0xdb8, // Teredo, benchmarking, ORCHID; documentation
                0x2002 => true,                          // 6to4 can wrap private v4
                0x3fff => s[1] < 0x1000,                 // 3fff::/20 documentation
                _ => false,
            };
            (s[0] & 0xe000) == 0x2000 && !special
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1])) // CGNAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (18..20).contains(&o[1])) // benchmarking
        || o[0] >= 240)
}

/// A DNS resolver that drops non-public addresses for hosts the policy does not allow.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    pub policy: Arc<Policy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let lookup = host.clone();
            let addrs: Vec<SocketAddr> = tokio::task::spawn_blocking(move || {
                (lookup.as_str(), 0).to_socket_addrs().map(|a| a.collect())
            })
            .await
            .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)??;
            let allowed = policy.host_allowed(&host);
            let ok: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| allowed || is_public(a.ip()))
                .collect();
            if ok.is_empty() {
                return Err(
                    format!("{host} resolves only to non-public addresses (refused)").into(),
                );
            }
            Ok(Box::new(ok.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "64:ff9b::7f00:1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            // IPv4-translated, Teredo, site-local, discard-only, NAT64 local use, 6to4,
            // documentation, ORCHIDv2, IPv4-compatible, unassigned space outside 2000::/3.
            "::ffff:0:7f00:1",
            "::ffff:0:a00:1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "100::1",
            "64:ff9b:1::a00:1",
            "2002:7f00:1::1",
            "2001:db8::1",
            "3fff::1",
            "2001:20::1",
            "::7f00:1",
            "4000::1",
            "ff02::1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad} must be refused");
        }
        for good in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001:82a::200e",
            "2001:4860:4860::8888",
        ] {
            assert!(is_public(good.parse().unwrap()), "{good} is public");
        }
    }

    #[test]
    fn ip_literals_in_any_form_are_checked() {
        let p = Policy::default();
        for u in [
            "http://127.0.0.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://017700000001/",
        ] {
            let url = url::Url::parse(u).unwrap();
            assert!(p.check_url(&url).is_err(), "{u} must be refused");
        }
        let allowed = Policy {
            allow_private_networks: false,
            allow_hosts: vec!["127.0.0.1".into()],
        };
        assert!(
            allowed
                .check_url(&url::Url::parse("http://127.0.0.1:8080/").unwrap())
                .is_ok()
        );
    }
}
