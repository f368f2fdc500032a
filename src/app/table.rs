//! The state half of the one table component every table view uses: sort, filter, and a
//! cursor held by the row's key (a TID, an fd number, a finding's rule), so the selection
//! stays on the same thing when rows shift under it between refreshes, as htop follows a PID.
//! The row order is derived once per change of its inputs (`rows::refresh`); moving the cursor
//! never re-sorts.
//!
//! May import: nothing of the crate (pure data and comparisons).

use std::cmp::Ordering;

/// What identifies a row across refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKey {
    /// A TID, an fd, a mapping's start address, a signal number.
    Number(u64),
    /// A name prefix, a finding's rule id.
    Text(String),
}

/// Selection, sort and filter of one view's table, and its derived row order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableUi {
    /// Position of the cursor in [`TableUi::order`]; follows [`TableUi::cursor`].
    pub selected: usize,
    /// The row the cursor is on, by key.
    pub cursor: Option<RowKey>,
    /// Index into [`super::View::sorts`].
    pub sort: usize,
    /// As typed: a case-insensitive name substring, or `#123` for one id.
    pub filter: String,
    /// Indices into the view's source rows, filtered and sorted.
    pub order: Vec<usize>,
    /// The inputs `order` was derived from, so an unchanged table is not re-sorted.
    pub derived_from: Option<Derivation>,
}

/// What a row order depends on besides the sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derivation {
    /// `taken_at_ms` of the sample (or the findings' generation) the order was made from.
    pub generation: u64,
    pub sort: usize,
    pub filter: String,
    pub grouped: bool,
}

impl TableUi {
    /// Places the cursor on its key if that is still a row (true), else keeps the position
    /// (clamped) and takes that row's key (a thread that exited leaves the cursor near where
    /// it was). Until the user moves it, the cursor holds a position, not a row.
    pub fn follow(&mut self, key_at: impl Fn(usize) -> Option<RowKey>) -> bool {
        let len = self.order.len();
        if let Some(cursor) = &self.cursor {
            if let Some(position) = (0..len).find(|&i| key_at(i).as_ref() == Some(cursor)) {
                self.selected = position;
                return true;
            }
        }
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.cursor.is_some() {
            self.cursor = key_at(self.selected);
        }
        false
    }

    /// Moves the cursor to `position` (clamped) and onto that row's key.
    pub fn select(&mut self, position: usize, key_at: impl Fn(usize) -> Option<RowKey>) {
        self.selected = position.min(self.order.len().saturating_sub(1));
        self.cursor = key_at(self.selected);
    }

    /// The filter as a matcher.
    pub fn matcher(&self) -> Filter {
        Filter::parse(&self.filter)
    }
}

/// A parsed filter: `#123` matches the row whose id is 123, anything else the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    All,
    Id(u64),
    Name(String),
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let text = text.trim();
        if text.is_empty() {
            return Filter::All;
        }
        match text.strip_prefix('#').map(str::parse::<u64>) {
            Some(Ok(id)) => Filter::Id(id),
            _ => Filter::Name(text.to_lowercase()),
        }
    }

    /// Whether a row with this id and these name-like fields passes.
    pub fn accepts(&self, id: Option<u64>, names: &[&str]) -> bool {
        match self {
            Filter::All => true,
            Filter::Id(want) => id == Some(*want),
            Filter::Name(needle) => names.iter().any(|n| n.to_lowercase().contains(needle)),
        }
    }

    /// Whether every row this filter passes also passes `narrower` when the text only grew,
    /// so the previous result can be filtered again instead of the whole source.
    pub fn narrows_to(&self, narrower: &Filter) -> bool {
        match (self, narrower) {
            (Filter::All, _) => true,
            (Filter::Name(a), Filter::Name(b)) => b.contains(a.as_str()),
            _ => false,
        }
    }
}

/// Natural order: digit runs compare as numbers, so `demo-leak-2` sorts before `demo-leak-10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let (m, rest_x) = split_digits(x);
                let (n, rest_y) = split_digits(y);
                let (m, n) = (trim_zeros(m), trim_zeros(n));
                let by_value = m.len().cmp(&n.len()).then_with(|| m.cmp(n));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (x, y) = (rest_x, rest_y);
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

fn split_digits(text: &[u8]) -> (&[u8], &[u8]) {
    let end = text
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_numbers_by_value() {
        let mut names = vec![
            "demo-leak-10",
            "demo-leak-2",
            "demo-leak-1",
            "demo",
            "demo-leak-02",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "demo",
                "demo-leak-1",
                "demo-leak-02",
                "demo-leak-2",
                "demo-leak-10"
            ]
        );
        assert_eq!(
            natural_cmp("a99999999999999999999999", "a1"),
            Ordering::Greater
        );
    }

    #[test]
    fn hash_filters_by_id_and_text_by_name() {
        assert_eq!(Filter::parse("#123"), Filter::Id(123));
        assert!(Filter::parse("#123").accepts(Some(123), &["x"]));
        assert!(!Filter::parse("#123").accepts(Some(1234), &["123"]));
        assert!(!Filter::parse("42").accepts(Some(42), &["worker-1"]));
        assert!(Filter::parse("Work").accepts(Some(42), &["worker-1"]));
        assert_eq!(Filter::parse("#x"), Filter::Name("#x".into()));
        assert!(Filter::parse("wo").narrows_to(&Filter::parse("wor")));
        assert!(!Filter::parse("wor").narrows_to(&Filter::parse("wo")));
    }

    #[test]
    fn the_cursor_follows_its_key() {
        let mut table = TableUi {
            order: vec![0, 1, 2],
            ..Default::default()
        };
        let keys = [30u64, 10, 20];
        table.follow(|i| Some(RowKey::Number(keys[i])));
        assert_eq!(table.cursor, None, "no row chosen yet");
        let key_at = |i: usize| Some(RowKey::Number(keys[i]));
        table.select(2, key_at);
        assert_eq!(table.cursor, Some(RowKey::Number(20)));
        let shifted = [20u64, 30, 10];
        table.follow(|i| Some(RowKey::Number(shifted[i])));
        assert_eq!(table.selected, 0);
        table.order.truncate(1);
        table.follow(|_| Some(RowKey::Number(99)));
        assert_eq!(
            (table.selected, table.cursor.clone()),
            (0, Some(RowKey::Number(99)))
        );
    }
}
