//! The flame graph's model: a tree of frames built from folded stacks (root first), and its
//! icicle layout on a terminal row of a given width. `update` uses the layout to move the
//! selection to the frame that is actually drawn next to it; the Stacks view draws it.
//!
//! Pure: no I/O, no terminal. May import: `stacks::folded`.

use crate::stacks::folded::FoldedStacks;

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
    pub node: usize,
    pub x: u16,
    pub width: u16,
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
    /// Builds the tree of `folded`, keeping only stacks whose first frame (the thread name)
    /// is `thread` when one is given.
    pub fn build(folded: &FoldedStacks, thread: Option<&str>) -> Tree {
        let mut tree = Tree::default();
        for (stack, count) in folded.iter() {
            let mut frames = stack.split(';');
            if let Some(thread) = thread {
                if frames.clone().next() != Some(thread) {
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
    /// whole width, row `d` its descendants at depth `d`. Widths are proportional to samples,
    /// with cumulative rounding (siblings do not drift); frames narrower than a column are
    /// left out.
    pub fn layout(&self, top: usize, width: u16) -> Vec<Vec<Cell>> {
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        if width == 0 || self.nodes.get(top).is_none_or(|n| n.total == 0) {
            return rows;
        }
        let mut level = vec![Cell {
            node: top,
            x: 0,
            width,
        }];
        while !level.is_empty() {
            let mut next = Vec::new();
            for cell in &level {
                let parent = &self.nodes[cell.node];
                let mut before = 0u64;
                for &child in &parent.children {
                    let total = self.nodes[child].total;
                    let start = scale(before, parent.total, cell.width);
                    before += total;
                    let end = scale(before, parent.total, cell.width);
                    if end > start {
                        next.push(Cell {
                            node: child,
                            x: cell.x + start,
                            width: end - start,
                        });
                    }
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
        let only_t = Tree::build(&f, Some("t"));
        assert_eq!(only_t.total(), 4);
        assert_eq!(tree.depth_below(0, a), Some(3));
    }
}
