//! Latency samples and the report: every figure beside its target.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Latencies, in microseconds, up to a minute.
pub struct Sample(Histogram<u64>);

impl Default for Sample {
    fn default() -> Self {
        Sample(Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds"))
    }
}

impl Sample {
    pub fn record(&mut self, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, 60_000_000);
        self.0.record(micros).expect("within bounds");
    }

    pub fn merge(&mut self, other: &Sample) {
        self.0.add(&other.0).expect("same bounds");
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    pub fn quantile(&self, q: f64) -> Duration {
        Duration::from_micros(self.0.value_at_quantile(q))
    }

    pub fn median(&self) -> Duration {
        self.quantile(0.5)
    }

    pub fn p95(&self) -> Duration {
        self.quantile(0.95)
    }

    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }

    /// `median / p95 / p99` for a table.
    pub fn summary(&self) -> String {
        format!("{} / {} / {}", ms(self.median()), ms(self.p95()), ms(self.p99()))
    }
}

pub fn ms(d: Duration) -> String {
    let millis = d.as_secs_f64() * 1000.0;
    if millis < 10.0 {
        format!("{millis:.2} ms")
    } else {
        format!("{millis:.0} ms")
    }
}

pub fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// One line of the report.
pub struct Row {
    pub scenario: String,
    pub figure: String,
    pub value: String,
    pub target: String,
    /// `None` for a figure without a target (a comparison, a count).
    pub met: Option<bool>,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
}

impl Report {
    /// A figure with a target.
    pub fn check(&mut self, scenario: &str, figure: &str, value: String, target: &str, met: bool) {
        self.push(Row {
            scenario: scenario.into(),
            figure: figure.into(),
            value,
            target: target.into(),
            met: Some(met),
        });
    }

    /// A figure to read, with nothing to meet.
    pub fn note(&mut self, scenario: &str, figure: &str, value: String) {
        self.push(Row { scenario: scenario.into(), figure: figure.into(), value, target: String::new(), met: None });
    }

    fn push(&mut self, row: Row) {
        let verdict = match row.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "",
        };
        println!("  {:<44} {:>28}  {:<22} {verdict}", row.figure, row.value, row.target);
        self.rows.push(row);
    }

    pub fn missed(&self) -> usize {
        self.rows.iter().filter(|r| r.met == Some(false)).count()
    }

    /// The report as a Markdown table, for BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let mut out = String::from("| scenario | figure | value | target | |\n|---|---|---|---|---|\n");
        for row in &self.rows {
            let verdict = match row.met {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "",
            };
            let _ = writeln!(out, "| {} | {} | {} | {} | {verdict} |", row.scenario, row.figure, row.value, row.target);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_what_was_recorded() {
        let mut sample = Sample::default();
        for millis in 1..=100 {
            sample.record(Duration::from_millis(millis));
        }
        assert_eq!(sample.count(), 100);
        let p95 = sample.p95().as_millis();
        assert!((94..=96).contains(&p95), "{p95}");
        assert!(sample.median() < sample.p99());
    }
}
