//! How a comparison is shown: the table `discsim validate` prints, its one-line verdict, and
//! the CSV `--out` writes.

use std::path::{Path, PathBuf};

use super::{Check, Figure, ProfileReport, FIGURES, SCENARIO_FILE};
use crate::experiment::report::{write_csv_atomic, ReportError};

/// `x` (a fraction) as a percentage without float noise: `0.15` gives `15`, `0.125` `12.5`.
pub(super) fn percent(x: f64) -> String {
    let s = format!("{:.1}", x * 100.0);
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

impl Check {
    /// The signed difference as a percentage: `+4.2%`.
    pub(super) fn signed_percent(&self) -> String {
        let s = format!("{:.1}", self.diff * 100.0);
        // Only a difference that shows is negative ("-0.0%" would be noise).
        let sign = if self.discsim < self.geth && s != "0.0" {
            "-"
        } else {
            "+"
        };
        format!("{sign}{s}%")
    }

    fn cell(&self, tolerance: f64) -> String {
        let d = self.figure.decimals;
        let mark = if !self.ok {
            "!"
        } else if self.within_noise_only(tolerance) {
            "~"
        } else {
            " "
        };
        format!(
            "{:.d$} / {:.d$} ({}){mark}",
            self.geth,
            self.discsim,
            self.signed_percent(),
        )
    }

    /// `name at minute m (geth / discsim, ±x%)`, for the verdict.
    fn describe(&self, t: u64) -> String {
        let d = self.figure.decimals;
        format!(
            "{} at minute {} ({:.d$} / {:.d$}, {})",
            self.figure.name,
            format_minute(t),
            self.geth,
            self.discsim,
            self.signed_percent()
        )
    }
}

impl ProfileReport {
    /// Every figure beyond the tolerance, with its sample time, in time then figure order.
    pub fn failures(&self) -> Vec<(u64, &Check)> {
        self.rows
            .iter()
            .flat_map(|r| r.checks.iter().filter(|c| !c.ok).map(move |c| (r.t, c)))
            .collect()
    }

    /// Figures compared, over every minute.
    pub fn compared(&self) -> usize {
        self.rows.iter().map(|r| r.checks.len()).sum()
    }

    /// Whether every figure is within the tolerance.
    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }

    /// The comparison as an aligned table: a minute per line, a figure per column, each cell
    /// `geth / discsim (difference)`, `!` beyond the tolerance; and the figures not compared.
    pub fn render_table(&self) -> String {
        let figures: Vec<Figure> = FIGURES
            .iter()
            .filter(|f| {
                self.rows
                    .iter()
                    .any(|r| r.checks.iter().any(|c| c.figure == **f))
            })
            .copied()
            .collect();
        let mut lines: Vec<Vec<String>> = Vec::new();
        let mut header = vec!["minute".to_string()];
        header.extend(figures.iter().map(|f| format!("{} ", f.name)));
        lines.push(header);
        for r in &self.rows {
            let mut line = vec![format_minute(r.t)];
            for f in &figures {
                line.push(
                    r.checks
                        .iter()
                        .find(|c| c.figure == *f)
                        .map_or_else(|| "- ".to_string(), |c| c.cell(self.tolerance)),
                );
            }
            lines.push(line);
        }
        let widths: Vec<usize> = (0..figures.len() + 1)
            .map(|i| {
                lines
                    .iter()
                    .map(|l| l[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!(
            "{} (real geth {}) against discsim (mean of {} seed{}), {}\n",
            self.profile.name(),
            self.profile.commit(),
            self.seeds,
            if self.seeds == 1 { "" } else { "s" },
            SCENARIO_FILE
        );
        out.push_str(&format!(
            "each cell: geth / discsim (difference relative to max(|geth|, floor)); ! beyond {} %, ~ beyond it but within run-to-run noise\n",
            percent(self.tolerance)
        ));
        for line in &lines {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:>w$}"))
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        if !self.not_compared.is_empty() {
            out.push_str("not compared: ");
            let parts: Vec<String> = self
                .not_compared
                .iter()
                .map(|n| format!("{} ({})", n.figure.name, n.reason))
                .collect();
            out.push_str(&parts.join(", "));
            out.push('\n');
        }
        out
    }

    /// One line: how many figures were compared, how many are beyond the tolerance, and the
    /// worst of them.
    pub fn verdict(&self) -> String {
        let mut failures = self.failures();
        let name = self.profile.name();
        let tol = percent(self.tolerance);
        let noisy: Vec<String> = self
            .rows
            .iter()
            .flat_map(|r| {
                r.checks
                    .iter()
                    .filter(|c| c.within_noise_only(self.tolerance))
                    .map(move |c| c.describe(r.t))
            })
            .collect();
        let noise = if noisy.is_empty() {
            String::new()
        } else {
            format!(
                "; {} only within run-to-run noise: {}",
                noisy.len(),
                noisy.join(", ")
            )
        };
        if failures.is_empty() {
            return format!(
                "{name}: {} figures compared, all within {tol} %{noise}",
                self.compared()
            );
        }
        failures.sort_by(|a, b| b.1.diff.total_cmp(&a.1.diff).then(a.0.cmp(&b.0)));
        const WORST: usize = 5;
        let worst: Vec<String> = failures
            .iter()
            .take(WORST)
            .map(|(t, c)| c.describe(*t))
            .collect();
        format!(
            "{name}: {} figures compared, {} beyond {tol} %: {}{}{noise}",
            self.compared(),
            failures.len(),
            worst.join(", "),
            if failures.len() > WORST { ", ..." } else { "" }
        )
    }

    /// Writes `validation-<profile>.csv` into `dir` (which must exist), atomically: one line per
    /// figure and minute with `t`, `figure`, `geth`, `discsim`, `diff`, `noise` (the absolute
    /// difference run-to-run noise explains) and `ok`.
    pub fn write_csv(&self, dir: &Path) -> Result<PathBuf, ReportError> {
        let path = dir.join(format!("validation-{}.csv", self.profile.name()));
        write_csv_atomic(&path, |w| {
            w.write_record(["t", "figure", "geth", "discsim", "diff", "noise", "ok"])?;
            for r in &self.rows {
                for c in &r.checks {
                    w.write_record([
                        r.t.to_string(),
                        c.figure.name.to_string(),
                        c.geth.to_string(),
                        c.discsim.to_string(),
                        c.diff.to_string(),
                        c.noise.to_string(),
                        c.ok.to_string(),
                    ])?;
                }
            }
            Ok(())
        })?;
        Ok(path)
    }
}

/// Seconds as minutes: `120` gives `2`, `90` gives `1.5`.
pub(super) fn format_minute(t: u64) -> String {
    if t.is_multiple_of(60) {
        (t / 60).to_string()
    } else {
        format!("{:.1}", t as f64 / 60.0)
    }
}
