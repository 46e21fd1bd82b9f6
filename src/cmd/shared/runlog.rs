//! The workflow scripts' log (log/monthly.log, log/annual.log) as scripts/lib.sh writes it:
//! `TIME 実行開始 TITLE (pid N)`, then the steps, then `TIME 実行終了 …` or `TIME 中断 手順 …`.
//! kk-doctor looks at each month's last run, kk-report lists them all.

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ended,
    /// stopped at a step: what the log says (`手順 04 limitcheck (終了コード 2)`)
    Stopped(String),
    /// no end recorded: still running, or killed
    Open,
}

/// One run: when it started, its process and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub started: String,
    pub pid: String,
    pub outcome: Outcome,
}

/// Every run in `log`, in order.
pub fn runs(log: &str) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for line in log.lines() {
        let Some((time, rest)) = line.split_once(' ') else { continue };
        if let Some(title) = rest.strip_prefix("実行開始 ") {
            let pid = title.rsplit_once("(pid ").map_or("", |(_, p)| p.trim_end_matches(')')).to_string();
            runs.push(Run { started: time.to_string(), pid, outcome: Outcome::Open });
        } else if let Some(last) = runs.last_mut() {
            if rest.starts_with("実行終了 ") {
                last.outcome = Outcome::Ended;
            } else if let Some(what) = rest.strip_prefix("中断 ") {
                last.outcome = Outcome::Stopped(what.to_string());
            }
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_read_with_how_they_ended() {
        let log = "\
t1 実行開始 月次処理 202604 (pid 10)
t1 開始 01 import_master: 取込
t2 中断 手順 04 limitcheck (終了コード 2)
t3 実行開始 月次処理 202604 (pid 11)
t4 実行終了 月次処理 202604 正常終了
t5 実行開始 月次処理 202604 (pid 12)
";
        let got = runs(log);
        let run = |started: &str, pid: &str, outcome| Run { started: started.into(), pid: pid.into(), outcome };
        assert_eq!(
            got,
            [
                run("t1", "10", Outcome::Stopped("手順 04 limitcheck (終了コード 2)".into())),
                run("t3", "11", Outcome::Ended),
                run("t5", "12", Outcome::Open),
            ]
        );
        assert!(runs("").is_empty());
    }
}
