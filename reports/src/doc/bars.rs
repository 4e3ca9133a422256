//! Growth bars: one signed value per label (a diff's change per type or site). HTML draws them
//! as inline SVG bars (growth one colour, shrinkage another, around a zero line); the terminal
//! and Markdown as text bars (`█` for growth, `░` for shrinkage) scaled to the largest value.

use heapscope_graph::Unit;

/// A bar chart of signed values, one bar per label, in the order given.
#[derive(Clone, Debug)]
pub struct Bars {
    /// What the bars show (`Change in shallow bytes by class`).
    pub title: String,
    /// How values print.
    pub unit: Unit,
    pub bars: Vec<Bar>,
    /// HTML: the figure's id.
    pub id: Option<String>,
}

/// One bar.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub value: i64,
}

/// Width of the longest text bar, in characters.
pub const TEXT_BAR_WIDTH: usize = 24;

impl Bars {
    /// The largest magnitude (1 when every value is 0, so scales never divide by zero).
    pub fn scale(&self) -> u64 {
        self.bars
            .iter()
            .map(|b| b.value.unsigned_abs())
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// One line per bar for the terminal and Markdown: `+1.5 MiB  ██████████  label`, values
    /// right-aligned, bars left-aligned, `fmt` printing a value with its sign.
    pub fn text_lines(&self, fmt: impl Fn(i64) -> String) -> Vec<String> {
        let scale = self.scale() as f64;
        let values: Vec<String> = self.bars.iter().map(|b| fmt(b.value)).collect();
        let w = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
        self.bars
            .iter()
            .zip(&values)
            .map(|(b, v)| {
                let n = (b.value.unsigned_abs() as f64 / scale * TEXT_BAR_WIDTH as f64).round()
                    as usize;
                // A non-zero value always shows at least a sliver.
                let n = if b.value != 0 { n.max(1) } else { 0 };
                let ch = if b.value < 0 { '░' } else { '█' };
                let bar: String = std::iter::repeat_n(ch, n).collect();
                format!("{v:>w$}  {bar:<TEXT_BAR_WIDTH$}  {}", b.label)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_bars_scale_to_the_largest_magnitude() {
        let b = Bars {
            title: "t".into(),
            unit: Unit::Bytes,
            bars: vec![
                Bar {
                    label: "a".into(),
                    value: 100,
                },
                Bar {
                    label: "b".into(),
                    value: -50,
                },
                Bar {
                    label: "c".into(),
                    value: 1,
                },
                Bar {
                    label: "d".into(),
                    value: 0,
                },
            ],
            id: None,
        };
        let l = b.text_lines(|v| format!("{v:+}"));
        assert_eq!(l[0].matches('█').count(), TEXT_BAR_WIDTH);
        assert_eq!(l[1].matches('░').count(), TEXT_BAR_WIDTH / 2);
        assert_eq!(l[2].matches('█').count(), 1);
        assert_eq!(l[3].matches(['█', '░']).count(), 0);
        assert!(l[1].starts_with(" -50  "), "{}", l[1]);
    }
}
