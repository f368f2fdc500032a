//! The flame graph's model: a tree of frames built from folded stacks (root first), its
//! icicle layout on a terminal row of a given width (frames too narrow to draw merge into one
//! `+N more` block), and the "top" table of functions by self and total share. `update` uses
//! the layout to move the selection to the frame that is actually drawn next to it; the Stacks
//! view draws it.
//!
//! Pure: no I/O, no terminal. May import: `stacks::folded`.

use crate::stacks::folded::FoldedStacks;
use std::collections::{BTreeMap, HashSet};

/// Frames narrower than this many columns cannot show one character of their name beside the
/// `…` (the last column of a frame stays blank), so they merge into a `+N more` block.
pub const MIN_FRAME_COLUMNS: u16 = 3;

/// One frame in the tree: a distinct path from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// Samples whose stack passes through this frame.
    pub total: u64,
    pub parent: Option<usize>,
    /// Largest first, then by name (deterministic).
    pub children: Vec<usize>,
}

/// Frames merged by path; node 0 is the synthetic root "all".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

/// A frame drawn on one row: columns `x .. x + width` of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// The frame; for a `+N more` block, the first of the frames it stands for.
    pub node: usize,
    pub x: u16,
    pub width: u16,
    /// 0 for a frame; else a `+N more` block standing for this many sibling frames too narrow
    /// to draw (their callees are not drawn either).
    pub hidden: usize,
}

impl Cell {
    pub fn is_more(&self) -> bool {
        self.hidden > 0
    }
}

/// One function of the "top" table, as in `py-spy top`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionShare {
    pub name: String,
    /// Counts where it is the innermost frame.
    pub self_count: u64,
    /// Counts where it is on the stack (once per stack, however often it recurses).
    pub total: u64,
}

/// The order of the top table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopSort {
    #[default]
    SelfShare,
    Total,
    Name,
}

impl TopSort {
    pub fn next(self) -> TopSort {
        match self {
            TopSort::SelfShare => TopSort::Total,
            TopSort::Total => TopSort::Name,
            TopSort::Name => TopSort::SelfShare,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TopSort::SelfShare => "self",
            TopSort::Total => "total",
            TopSort::Name => "name",
        }
    }
}

/// Functions of `folded` with their self and total counts, in `sort` order. With `skip_root`
/// the first frame of each stack (a thread pool's name) is not a function.
pub fn top_functions(folded: &FoldedStacks, skip_root: bool, sort: TopSort) -> Vec<FunctionShare> {
    let mut shares: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for (stack, count) in folded.iter() {
        let frames: Vec<&str> = stack.split(';').skip(usize::from(skip_root)).collect();
        seen.clear();
        for frame in &frames {
            if seen.insert(frame) {
                shares.entry(frame).or_default().1 += count;
            }
        }
        if let Some(leaf) = frames.last() {
            shares.entry(leaf).or_default().0 += count;
        }
    }
    let mut top: Vec<FunctionShare> = shares
        .into_iter()
        .map(|(name, (self_count, total))| FunctionShare {
            name: name.to_string(),
            self_count,
            total,
        })
        .collect();
    match sort {
        TopSort::SelfShare => top.sort_by(|a, b| {
            (b.self_count, b.total)
                .cmp(&(a.self_count, a.total))
                .then_with(|| a.name.cmp(&b.name))
        }),
        TopSort::Total => top.sort_by(|a, b| {
            (b.total, b.self_count)
                .cmp(&(a.total, a.self_count))
                .then_with(|| a.name.cmp(&b.name))
        }),
        TopSort::Name => top.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    top
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            nodes: vec![Node {
                name: "all".to_string(),
                total: 0,
                parent: None,
                children: Vec::new(),
            }],
        }
    }
}

impl Tree {
    /// Builds the tree of `folded`. With a `function`, only the stacks through it, each cut
    /// to start at its outermost call of it: every call of the function merged, whoever the
    /// caller.
    pub fn build(folded: &FoldedStacks, function: Option<&str>) -> Tree {
        let mut tree = Tree::default();
        for (stack, count) in folded.iter() {
            let mut frames = stack.split(';').peekable();
            if let Some(function) = function {
                while frames.next_if(|&f| f != function).is_some() {}
                if frames.peek().is_none() {
                    continue;
                }
            }
            let mut at = 0;
            tree.nodes[0].total += count;
            for frame in frames.by_ref() {
                at = tree.child_named(at, frame);
                tree.nodes[at].total += count;
            }
        }
        let order: Vec<Vec<usize>> = tree
            .nodes
            .iter()
            .map(|node| {
                let mut children = node.children.clone();
                children.sort_by(|&a, &b| {
                    tree.nodes[b]
                        .total
                        .cmp(&tree.nodes[a].total)
                        .then_with(|| tree.nodes[a].name.cmp(&tree.nodes[b].name))
                });
                children
            })
            .collect();
        for (node, children) in tree.nodes.iter_mut().zip(order) {
            node.children = children;
        }
        tree
    }

    fn child_named(&mut self, parent: usize, name: &str) -> usize {
        if let Some(&found) = self.nodes[parent]
            .children
            .iter()
            .find(|&&c| self.nodes[c].name == name)
        {
            return found;
        }
        let index = self.nodes.len();
        self.nodes.push(Node {
            name: name.to_string(),
            total: 0,
            parent: Some(parent),
            children: Vec::new(),
        });
        self.nodes[parent].children.push(index);
        index
    }

    pub fn total(&self) -> u64 {
        self.nodes[0].total
    }

    /// Names from below the root down to `node` (empty for the root).
    pub fn path(&self, node: usize) -> Vec<String> {
        let mut path = Vec::new();
        let mut at = node;
        while let Some(parent) = self.nodes.get(at).and_then(|n| n.parent) {
            path.push(self.nodes[at].name.clone());
            at = parent;
        }
        path.reverse();
        path
    }

    /// The node at `path`, or the deepest node along it that still exists.
    pub fn find(&self, path: &[String]) -> usize {
        let mut at = 0;
        for name in path {
            match self.nodes[at]
                .children
                .iter()
                .find(|&&c| self.nodes[c].name == *name)
            {
                Some(&child) => at = child,
                None => break,
            }
        }
        at
    }

    /// Distance from `ancestor` down to `node`, if `node` is in its subtree.
    pub fn depth_below(&self, ancestor: usize, node: usize) -> Option<usize> {
        let mut depth = 0;
        let mut at = node;
        loop {
            if at == ancestor {
                return Some(depth);
            }
            at = self.nodes.get(at)?.parent?;
            depth += 1;
        }
    }

    /// Icicle layout of the subtree under `top` in `width` columns: row 0 is `top` across the
    /// whole width, row `d` its descendants at depth `d`. Widths are proportional to counts,
    /// with cumulative rounding (siblings do not drift). Siblings (smallest last) from the
    /// first one narrower than [`MIN_FRAME_COLUMNS`] on merge into one `+N more` block over
    /// their columns, at least one: when they round to none, the previous sibling gives up its
    /// last column, so that hidden frames are never invisible.
    pub fn layout(&self, top: usize, width: u16) -> Vec<Vec<Cell>> {
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        if width == 0 || self.nodes.get(top).is_none_or(|n| n.total == 0) {
            return rows;
        }
        let mut level = vec![Cell {
            node: top,
            x: 0,
            width,
            hidden: 0,
        }];
        while !level.is_empty() {
            let mut next = Vec::new();
            for cell in level.iter().filter(|c| !c.is_more()) {
                let parent = &self.nodes[cell.node];
                let mut before = 0u64;
                for (index, &child) in parent.children.iter().enumerate() {
                    let start = scale(before, parent.total, cell.width);
                    before += self.nodes[child].total;
                    let end = scale(before, parent.total, cell.width);
                    if end - start >= MIN_FRAME_COLUMNS {
                        next.push(Cell {
                            node: child,
                            x: cell.x + start,
                            width: end - start,
                            hidden: 0,
                        });
                        continue;
                    }
                    let rest = &parent.children[index..];
                    let all: u64 = rest.iter().map(|&c| self.nodes[c].total).sum();
                    let mut start = start;
                    let end = scale(
                        before - self.nodes[child].total + all,
                        parent.total,
                        cell.width,
                    )
                    .max(start + 1);
                    if end > cell.width {
                        // No column left: the previous sibling, if wide enough, gives its last
                        // one, so that the block stays visible.
                        match next.last_mut() {
                            Some(previous)
                                if previous.x >= cell.x && previous.width > MIN_FRAME_COLUMNS =>
                            {
                                previous.width -= 1;
                                start -= 1;
                            }
                            _ => break,
                        }
                    }
                    next.push(Cell {
                        node: child,
                        x: cell.x + start,
                        width: end.min(cell.width) - start,
                        hidden: rest.len(),
                    });
                    break;
                }
            }
            rows.push(level);
            level = next;
        }
        rows
    }
}

/// `part / whole` of `width` columns, rounded to the nearest column.
fn scale(part: u64, whole: u64, width: u16) -> u16 {
    if whole == 0 {
        return 0;
    }
    let columns =
        (u128::from(part) * u128::from(width) * 2 + u128::from(whole)) / (u128::from(whole) * 2);
    u16::try_from(columns).unwrap_or(width).min(width)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(lines: &[(&str, u64)]) -> FoldedStacks {
        let mut folded = FoldedStacks::new();
        for (stack, count) in lines {
            folded.add_folded(stack, *count);
        }
        folded
    }

    #[test]
    fn tree_merges_paths_and_layout_is_proportional() {
        let f = folded(&[("t;main;a", 3), ("t;main;b", 1), ("u;main", 4)]);
        let tree = Tree::build(&f, None);
        assert_eq!(tree.total(), 8);
        let a = tree.find(&["t".into(), "main".into(), "a".into()]);
        assert_eq!(tree.nodes[a].total, 3);
        assert_eq!(tree.path(a), vec!["t", "main", "a"]);
        let rows = tree.layout(0, 80);
        assert_eq!(rows[1].iter().map(|c| c.width).sum::<u16>(), 80);
        assert_eq!(
            rows[3].iter().find(|c| c.node == a).map(|c| c.width),
            Some(30)
        );
        let main = Tree::build(&f, Some("main"));
        assert_eq!(main.total(), 8, "every call of main, whoever the caller");
        assert_eq!(main.nodes[main.find(&["main".into(), "a".into()])].total, 3);
        assert_eq!(Tree::build(&f, Some("a")).total(), 3);
        assert_eq!(tree.depth_below(0, a), Some(3));
    }

    #[test]
    fn frames_too_narrow_to_draw_merge_into_one_block() {
        let mut lines = vec![("main;big".to_string(), 1000u64)];
        for i in 0..300 {
            lines.push((format!("main;worker_{i}"), 1));
        }
        let refs: Vec<(&str, u64)> = lines.iter().map(|(s, n)| (s.as_str(), *n)).collect();
        let tree = Tree::build(&folded(&refs), None);
        let rows = tree.layout(0, 100);
        let row = &rows[2];
        assert_eq!(row.len(), 2, "{row:?}");
        assert_eq!(tree.nodes[row[0].node].name, "big");
        assert_eq!(row[0].width, 77);
        assert!(row[1].is_more());
        assert_eq!(row[1].hidden, 300);
        assert_eq!((row[1].x, row[1].width), (77, 23));
        assert_eq!(rows.len(), 3, "no callees under a merged block");
    }

    #[test]
    fn top_functions_count_self_and_total_once_per_stack() {
        let f = folded(&[("main;a;a;b", 2), ("main;a", 3), ("main;c", 5)]);
        let top = top_functions(&f, false, TopSort::SelfShare);
        let names: Vec<&str> = top.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["c", "a", "b", "main"]);
        let a = &top[1];
        assert_eq!((a.self_count, a.total), (3, 5), "recursion counted once");
        let by_total = top_functions(&f, false, TopSort::Total);
        assert_eq!(by_total[0].name, "main");
        let pools = top_functions(&folded(&[("pool-N;main;c", 5)]), true, TopSort::Name);
        assert_eq!(pools.len(), 2, "the pool root is not a function");
    }
}
