//! The Hugo site a `hooks.after_run` command builds, as far as agg's Markdown depends on it.
//!
//! agg writes `date: "YYYY-MM-DD HH:MM:SS"` in `site.timezone`, with no offset (the seed's
//! format), and Hugo reads such a date in its own `timeZone`, UTC when unset. When the two
//! differ every date is off, and items agg dated at fetch time land in the future, which Hugo
//! skips without a word. [`check_time_zone`] finds the site config from the hook's argv the way
//! Hugo does (`-s`/`--source`, `--config`, `--configDir`, then `hugo.*` / `config.*` and
//! `config/_default/`) and says whether its `timeZone` matches; `agg check-config` can report
//! it. Only a hook whose program is `hugo` is looked at.

use std::path::{Path, PathBuf};

/// What [`check_time_zone`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeZoneCheck {
    /// The hook does not run `hugo` (or there is no hook): nothing to say.
    NotHugo,
    /// No site config at any of these paths.
    NoConfig {
        looked: Vec<PathBuf>,
    },
    /// A config that cannot be read or parsed.
    Unreadable {
        config: PathBuf,
        error: String,
    },
    /// The site sets no `timeZone` (Hugo then uses UTC).
    Missing {
        config: PathBuf,
    },
    /// The site's `timeZone` is another zone.
    Differs {
        config: PathBuf,
        found: String,
    },
    Matches {
        config: PathBuf,
    },
}

/// Checks the Hugo site that `argv` (the `after_run` hook, run in `cwd`) builds against
/// `timezone` (`site.timezone`).
pub fn check_time_zone(argv: &[String], cwd: &Path, timezone: &str) -> TimeZoneCheck {
    let Some(candidates) = site_configs(argv, cwd) else {
        return TimeZoneCheck::NotHugo;
    };
    let existing: Vec<&PathBuf> = candidates.iter().filter(|p| p.is_file()).collect();
    let Some(&config) = existing.first() else {
        return TimeZoneCheck::NoConfig { looked: candidates };
    };
    for path in &existing {
        let found = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| time_zone_in(&text, path));
        match found {
            Err(error) => {
                return TimeZoneCheck::Unreadable {
                    config: path.to_path_buf(),
                    error,
                };
            }
            Ok(Some(tz)) if tz == timezone => {
                return TimeZoneCheck::Matches {
                    config: path.to_path_buf(),
                };
            }
            Ok(Some(found)) => {
                return TimeZoneCheck::Differs {
                    config: path.to_path_buf(),
                    found,
                };
            }
            Ok(None) => {}
        }
    }
    TimeZoneCheck::Missing {
        config: config.clone(),
    }
}

/// The config files Hugo would read for `argv`, in order (`None` when the program is not
/// `hugo`). The first that exists is the site config; `config/_default/` ones follow.
pub fn site_configs(argv: &[String], cwd: &Path) -> Option<Vec<PathBuf>> {
    let (program, args) = argv.split_first()?;
    let name = Path::new(program).file_stem()?.to_str()?;
    if name != "hugo" {
        return None;
    }
    let (mut source, mut configs, mut config_dir) = (None, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with('-') => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned());
        match flag {
            "-s" | "--source" => source = value(),
            "--config" => configs = value(),
            "--configDir" => config_dir = value(),
            _ => {}
        }
    }
    let root = cwd.join(source.unwrap_or_default());
    if let Some(list) = configs {
        return Some(list.split(',').map(|c| root.join(c.trim())).collect());
    }
    let dir = root
        .join(config_dir.unwrap_or_else(|| "config".into()))
        .join("_default");
    let mut out = Vec::new();
    for folder in [&root, &dir] {
        for name in ["hugo", "config"] {
            for ext in ["toml", "yaml", "yml", "json"] {
                out.push(folder.join(format!("{name}.{ext}")));
            }
        }
    }
    Some(out)
}

/// The top-level `timeZone` of a Hugo config (keys are case-insensitive in Hugo), by the
/// file's extension: TOML, YAML or JSON.
pub fn time_zone_in(text: &str, path: &Path) -> Result<Option<String>, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("toml");
    let is_key = |k: &str| k.eq_ignore_ascii_case("timezone");
    match ext {
        "yaml" | "yml" => {
            let map: serde_yaml::Mapping = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
            Ok(map
                .iter()
                .find(|(k, _)| k.as_str().is_some_and(is_key))
                .and_then(|(_, v)| v.as_str().map(str::to_owned)))
        }
        "json" => {
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(text).map_err(|e| e.to_string())?;
            Ok(map
                .iter()
                .find(|(k, _)| is_key(k))
                .and_then(|(_, v)| v.as_str().map(str::to_owned)))
        }
        _ => {
            // Top-level keys come before the first table header.
            for line in text.lines().map(str::trim) {
                if line.starts_with('[') {
                    break;
                }
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                if is_key(key.trim().trim_matches(['"', '\''])) {
                    let value = value.trim();
                    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'');
                    let Some(q) = quote else {
                        return Err(format!("timeZone is not a string: {value}"));
                    };
                    let inner = &value[1..];
                    let end = inner.find(q).ok_or("unterminated timeZone string")?;
                    return Ok(Some(inner[..end].to_owned()));
                }
            }
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn finds_the_site_the_hook_builds() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        let hook = argv(&["hugo", "--minify", "-s", "site"]);
        assert_eq!(
            check_time_zone(&hook, dir.path(), "Asia/Shanghai"),
            TimeZoneCheck::NoConfig {
                looked: site_configs(&hook, dir.path()).unwrap()
            }
        );
        let config = site.join("hugo.toml");
        std::fs::write(&config, "title = \"x\"\n[params]\ntimeZone = \"UTC\"\n").unwrap();
        assert_eq!(
            check_time_zone(&hook, dir.path(), "Asia/Shanghai"),
            TimeZoneCheck::Missing {
                config: config.clone()
            }
        );
        std::fs::write(&config, "timezone = 'Europe/Paris' # local\n").unwrap();
        assert_eq!(
            check_time_zone(&hook, dir.path(), "Asia/Shanghai"),
            TimeZoneCheck::Differs {
                config: config.clone(),
                found: "Europe/Paris".into()
            }
        );
        // The shipped example matches the demo's zone.
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hugo");
        let hook = argv(&["/usr/bin/hugo", "--source=examples/hugo"]);
        assert_eq!(
            check_time_zone(
                &hook,
                Path::new(env!("CARGO_MANIFEST_DIR")),
                "Asia/Shanghai"
            ),
            TimeZoneCheck::Matches {
                config: example.join("hugo.toml")
            }
        );
    }

    #[test]
    fn reads_every_config_format_and_flag() {
        let cwd = Path::new("/srv");
        assert_eq!(site_configs(&argv(&["make", "site"]), cwd), None);
        assert_eq!(
            site_configs(&argv(&["hugo", "--config", "a.yaml,b.toml"]), cwd).unwrap(),
            [cwd.join("a.yaml"), cwd.join("b.toml")]
        );
        let found = site_configs(&argv(&["hugo", "--configDir", "conf"]), cwd).unwrap();
        assert!(found.contains(&cwd.join("conf/_default/hugo.yaml")));
        assert_eq!(
            time_zone_in("timeZone: Asia/Tokyo\n", Path::new("c.yaml")).unwrap(),
            Some("Asia/Tokyo".into())
        );
        assert_eq!(
            time_zone_in(r#"{"TimeZone": "UTC"}"#, Path::new("c.json")).unwrap(),
            Some("UTC".into())
        );
        assert!(time_zone_in("timeZone = 8\n", Path::new("c.toml")).is_err());
        assert!(time_zone_in("{", Path::new("c.json")).is_err());
    }
}
