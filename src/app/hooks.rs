//! The post-run hook: a command (argv, no shell) run after a run that wrote something, e.g. a
//! Hugo rebuild. It runs with a timeout and is killed after it; its output is logged; a failure
//! is reported, never retried in a loop, and never holds up the next scheduled run for long.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::config::HookSettings;

/// How a hook run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    Ok,
    Failed(HookError),
    TimedOut,
}

/// Why a hook failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HookError {
    #[error("cannot start {program}: {cause}")]
    Start { program: String, cause: String },
    #[error("{program} exited with {status}")]
    Exit { program: String, status: String },
    #[error("{program}: {cause}")]
    Wait { program: String, cause: String },
}

impl HookOutcome {
    pub fn label(&self) -> &'static str {
        match self {
            HookOutcome::Ok => "ok",
            HookOutcome::Failed(_) => "failed",
            HookOutcome::TimedOut => "timeout",
        }
    }

    /// Why the hook failed, as one line; `None` when it did not.
    pub fn failure(&self) -> Option<String> {
        match self {
            HookOutcome::Ok => None,
            HookOutcome::Failed(e) => Some(e.to_string()),
            HookOutcome::TimedOut => Some("timed out and was killed".into()),
        }
    }
}

/// Runs the `after_run` hook, if one is configured.
pub async fn after_run(settings: &HookSettings) -> Option<HookOutcome> {
    let (program, args) = settings.after_run.split_first()?;
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(hook = %program, error = %e, "cannot start after_run hook");
            return Some(HookOutcome::Failed(HookError::Start {
                program: program.clone(),
                cause: e.to_string(),
            }));
        }
    };
    let stdout = child
        .stdout
        .take()
        .map(|s| tokio::spawn(log_lines(program.clone(), "stdout", s)));
    let stderr = child
        .stderr
        .take()
        .map(|s| tokio::spawn(log_lines(program.clone(), "stderr", s)));
    let outcome = match tokio::time::timeout(settings.timeout, child.wait()).await {
        Ok(Ok(status)) if status.success() => HookOutcome::Ok,
        Ok(Ok(status)) => HookOutcome::Failed(HookError::Exit {
            program: program.clone(),
            status: status.to_string(),
        }),
        Ok(Err(e)) => HookOutcome::Failed(HookError::Wait {
            program: program.clone(),
            cause: e.to_string(),
        }),
        Err(_) => {
            let _ = child.kill().await;
            HookOutcome::TimedOut
        }
    };
    for task in [stdout, stderr].into_iter().flatten() {
        let _ = task.await;
    }
    match &outcome {
        HookOutcome::Ok => tracing::info!(hook = %program, "after_run hook finished"),
        HookOutcome::Failed(e) => {
            tracing::error!(hook = %program, error = %e, "after_run hook failed")
        }
        HookOutcome::TimedOut => {
            tracing::error!(hook = %program, timeout_s = settings.timeout.as_secs(), "after_run hook timed out; killed")
        }
    }
    Some(outcome)
}

async fn log_lines<R: tokio::io::AsyncRead + Unpin>(program: String, stream: &'static str, r: R) {
    let mut lines = BufReader::new(r).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(hook = %program, stream, "{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings(argv: &[&str], secs: u64) -> HookSettings {
        HookSettings {
            after_run: argv.iter().map(|s| s.to_string()).collect(),
            timeout: Duration::from_secs(secs),
        }
    }

    #[tokio::test]
    async fn outcomes() {
        assert_eq!(after_run(&settings(&[], 5)).await, None);
        assert_eq!(
            after_run(&settings(&["true"], 5)).await,
            Some(HookOutcome::Ok)
        );
        assert!(matches!(
            after_run(&settings(&["false"], 5)).await,
            Some(HookOutcome::Failed(_))
        ));
        assert!(matches!(
            after_run(&settings(&["/no/such/program"], 5)).await,
            Some(HookOutcome::Failed(_))
        ));
        assert_eq!(
            after_run(&settings(&["sleep", "30"], 1)).await,
            Some(HookOutcome::TimedOut)
        );
    }
}
