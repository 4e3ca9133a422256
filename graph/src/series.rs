//! Metric series over time: what a monitoring system (Prometheus) recorded about a running
//! service — its memory, GC time, request rate, limit. A reader fills [`MetricSeries`]; reports
//! (`heapscope metrics`) read them without knowing where they came from.

/// A series' labels, `(name, value)` sorted by name ([`MetricSeries::labels`]).
pub type Labels = Vec<(String, String)>;

/// A series' `(unix seconds, value)` samples ([`MetricSeries::samples`]).
pub type Samples = Vec<(f64, f64)>;

/// What identifies a series: its name and labels.
pub type SeriesKey = (String, Labels);

/// One time series: a metric name, its labels (sorted by name, unique) and its samples.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricSeries {
    /// The metric's name (`__name__`), or, for a query that computed it (`rate(…)`), the query
    /// the reader was told it came from; empty when neither is known.
    pub name: String,
    /// Every label but `__name__`, sorted by name.
    pub labels: Labels,
    /// `(unix seconds, value)`, sorted by time, one per instant. Values may be NaN or ±∞, as
    /// Prometheus writes them.
    pub samples: Samples,
}

impl MetricSeries {
    /// A series with its labels sorted and its samples sorted by time (the last of two samples
    /// at one instant wins).
    pub fn new(
        name: String,
        mut labels: Vec<(String, String)>,
        mut samples: Vec<(f64, f64)>,
    ) -> Self {
        labels.sort();
        labels.dedup_by(|a, b| a.0 == b.0);
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Keep the last sample of each instant: dedup keeps the first, so reverse around it.
        samples.reverse();
        samples.dedup_by(|a, b| a.0 == b.0);
        samples.reverse();
        MetricSeries {
            name,
            labels,
            samples,
        }
    }

    /// The value of a label, if the series has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .ok()
            .map(|i| self.labels[i].1.as_str())
    }

    /// The samples whose values are finite numbers.
    pub fn finite(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.samples
            .iter()
            .copied()
            .filter(|(t, v)| t.is_finite() && v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_samples_are_sorted() {
        let s = MetricSeries::new(
            "m".into(),
            vec![("pod".into(), "b".into()), ("job".into(), "a".into())],
            vec![(2.0, 1.0), (1.0, 5.0), (2.0, 3.0)],
        );
        assert_eq!(s.label("job"), Some("a"));
        assert_eq!(s.label("pod"), Some("b"));
        assert_eq!(s.label("x"), None);
        assert_eq!(s.samples, vec![(1.0, 5.0), (2.0, 3.0)]);
    }
}
