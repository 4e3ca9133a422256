//! Where each sample's call path leaves the paths of the samples before it.
//!
//! The samples of a profile are held as call paths (frame names outermost first, in flat
//! columns) until all are read; then, instead of walking each path down the tree from its root
//! (one table probe per frame: a cache miss in a table of a million nodes), the paths are
//! ordered by their names ([`order`]), and from that order each sample learns the longest path
//! it shares with any earlier sample and which earlier sample made the last node of it
//! ([`shared_with_earlier`]). Every frame past that depth is a node the sample makes itself, so
//! the tree is appended in file order, node for node as inserting each sample whole would make
//! it, without a lookup.

/// The call paths of samples, in file order: frame names outermost first.
pub(crate) struct Paths<'p> {
    /// Per path: where its names start in `names`; one more entry, the end.
    pub start: &'p [usize],
    pub names: &'p [u32],
    /// Names are below this (the size of a dense count table indexed by name + 1).
    pub distinct: usize,
}

impl Paths<'_> {
    fn len(&self) -> usize {
        self.start.len().saturating_sub(1)
    }
    fn path(&self, i: u32) -> &[u32] {
        let i = i as usize;
        &self.names[self.start[i]..self.start[i + 1]]
    }
    /// Path `i`'s name at depth `d`, + 1, or 0 past its end.
    #[inline]
    fn key(&self, i: u32, d: u32) -> u32 {
        self.path(i).get(d as usize).map_or(0, |&n| n + 1)
    }
}

/// For each path `i` (fewer than `u32::MAX`, each shorter than `u32::MAX`): `(depth, j)`, the
/// most names it shares from the root with an earlier path `j < i`, and the earlier path that
/// made the node at that depth (the first path to reach it, which shares less than `depth` with
/// those before it); `(0, 0)` when it shares nothing.
pub(crate) fn shared_with_earlier(p: &Paths) -> Vec<(u32, u32)> {
    let (order, lcp) = order(p);
    let n = order.len();
    let mut best = vec![(0u32, 0u32); n];
    // Both sides in the order: the nearest position on a side holding an earlier path shares
    // the most with `i` of that side's earlier paths (what two positions share is the least of
    // `lcp` between them). Stack: positions whose path is earlier than every path after them
    // so far, each with the least `lcp` from it to the next entry (for the top: to here).
    let mut stack: Vec<(u32, u32)> = Vec::new();
    let mut step = |i: u32, lcp_here: u32, stack: &mut Vec<(u32, u32)>| {
        if let Some(top) = stack.last_mut() {
            top.1 = top.1.min(lcp_here);
        }
        while let Some(&(j, least)) = stack.last() {
            if j < i {
                break;
            }
            stack.pop();
            if let Some(top) = stack.last_mut() {
                top.1 = top.1.min(least);
            }
        }
        if let Some(&(j, least)) = stack.last() {
            let b = &mut best[i as usize];
            if least > b.0 {
                *b = (least, j);
            }
        }
        stack.push((i, u32::MAX));
    };
    for k in 0..n {
        step(order[k], lcp[k], &mut stack);
    }
    stack.clear();
    for k in (0..n).rev() {
        step(order[k], lcp.get(k + 1).copied().unwrap_or(0), &mut stack);
    }
    // The maker of the node at `depth`: `j` if it made it (it shares less with those before
    // it), else the maker of the deepest node `j` shares (resolved already, as `j < i`). The
    // depths shared along the way strictly decrease.
    for i in 0..n {
        let (depth, mut j) = best[i];
        if depth == 0 {
            continue;
        }
        while depth <= best[j as usize].0 {
            j = best[j as usize].1;
        }
        best[i].1 = j;
    }
    best
}

/// The paths in the order of their names from the root (a path before the longer ones it
/// begins; equal paths by index), and per position `k` the names `order[k - 1]` and `order[k]`
/// share (0 at 0).
///
/// Most significant name first: a group of paths known to share their first `d` names (in
/// ascending index) first steps over the names its members all share (each compared with the
/// first member's, in one read along its path), then is divided stably by the name at the
/// depth where they part (a count per name, for the names the group has), and each part with
/// more than one path is a group one deeper. Groups are kept on a list, not recursed into.
/// Memory: 8 B per path (order, lcp), 8 per path of the group being divided (its keys, the
/// moved copy), 4 per distinct name (the counts).
fn order(p: &Paths) -> (Vec<u32>, Vec<u32>) {
    let n = p.len();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut lcp = vec![0u32; n];
    let mut count = vec![0u32; p.distinct + 1];
    let (mut keys, mut moved, mut present) = (Vec::new(), Vec::new(), Vec::new());
    let mut groups: Vec<(usize, usize, u32)> = vec![(0, n, 0)];
    while let Some((lo, hi, d)) = groups.pop() {
        if hi - lo < 2 {
            continue;
        }
        let group = &mut order[lo..hi];
        let d = d + common_from(p, group, d);
        keys.clear();
        keys.extend(group.iter().map(|&i| p.key(i, d)));
        present.clear();
        for &k in &keys {
            if count[k as usize] == 0 {
                present.push(k);
            }
            count[k as usize] += 1;
        }
        present.sort_unstable();
        let mut at = 0u32;
        for &k in &present {
            let c = count[k as usize];
            count[k as usize] = at;
            at += c;
        }
        moved.clear();
        moved.resize(group.len(), 0u32);
        for (&i, &k) in group.iter().zip(&keys) {
            moved[count[k as usize] as usize] = i;
            count[k as usize] += 1;
        }
        group.copy_from_slice(&moved);
        // `count[k]` is now where part `k` ends.
        let mut begin = 0usize;
        for &k in &present {
            let end = count[k as usize] as usize;
            count[k as usize] = 0;
            if begin > 0 {
                lcp[lo + begin] = d;
            }
            if k == 0 {
                // Paths that end here: equal, sharing all `d` names.
                lcp[lo + begin + 1..lo + end].fill(d);
            } else {
                groups.push((lo + begin, lo + end, d + 1));
            }
            begin = end;
        }
    }
    (order, lcp)
}

/// How many names past depth `d` every path of `group` shares (each compared with the first).
fn common_from(p: &Paths, group: &[u32], d: u32) -> u32 {
    let Some((&first, rest)) = group.split_first() else {
        return 0;
    };
    let head = p.path(first).get(d as usize..).unwrap_or(&[]);
    let mut m = head.len();
    for &i in rest {
        if m == 0 {
            break;
        }
        let tail = p.path(i).get(d as usize..).unwrap_or(&[]);
        m = head[..m]
            .iter()
            .zip(tail)
            .take_while(|(a, b)| a == b)
            .count();
    }
    m as u32
}

#[cfg(test)]
mod tests {
    use super::{order, shared_with_earlier, Paths};

    /// Random paths over a few names: shared stems, repeats, prefixes of others, empty ones.
    fn random_paths(seed: u64, n: usize) -> (Vec<usize>, Vec<u32>) {
        let mut next = crate::pprof::test_numbers(seed);
        let mut paths: Vec<Vec<u32>> = Vec::new();
        for _ in 0..n {
            let p = match next(4) {
                0 if !paths.is_empty() => {
                    // A copy of an earlier path, cut and extended.
                    let mut p = paths[next(paths.len() as u64) as usize].clone();
                    p.truncate(next(p.len() as u64 + 1) as usize);
                    for _ in 0..next(5) {
                        p.push(next(6) as u32);
                    }
                    p
                }
                1 => Vec::new(),
                _ => (0..1 + next(64)).map(|_| next(3) as u32).collect(),
            };
            paths.push(p);
        }
        let mut start = vec![0];
        let mut names = Vec::new();
        for p in &paths {
            names.extend_from_slice(p);
            start.push(names.len());
        }
        (start, names)
    }

    /// The order is that of sorting the paths by their names (index for equal ones), and the
    /// shared depths and makers are those found by comparing each path with every earlier one.
    #[test]
    fn order_and_shared_depths_match_a_naive_search() {
        for seed in 0..40 {
            let (start, names) = random_paths(seed, 1 + seed as usize * 7);
            let p = Paths {
                start: &start,
                names: &names,
                distinct: 6,
            };
            let path = |i: usize| &names[start[i]..start[i + 1]];
            let n = start.len() - 1;
            let (got, lcp) = order(&p);
            let mut want: Vec<u32> = (0..n as u32).collect();
            want.sort_by(|&a, &b| path(a as usize).cmp(path(b as usize)).then(a.cmp(&b)));
            assert_eq!(got, want, "seed {seed}");
            let common = |a: usize, b: usize| {
                path(a)
                    .iter()
                    .zip(path(b))
                    .take_while(|(x, y)| x == y)
                    .count()
            };
            for k in 1..n {
                assert_eq!(
                    lcp[k] as usize,
                    common(got[k - 1] as usize, got[k] as usize)
                );
            }
            let best = shared_with_earlier(&p);
            for (i, &(shared, j)) in best.iter().enumerate() {
                let depth = (0..i).map(|j| common(i, j)).max().unwrap_or(0);
                assert_eq!(shared as usize, depth, "seed {seed} path {i}");
                if depth > 0 {
                    // The maker: the first path that reaches the node at `depth`.
                    let j = j as usize;
                    let maker = (0..i).find(|&j| common(i, j) >= depth);
                    assert_eq!(Some(j), maker, "seed {seed} path {i}");
                }
            }
        }
    }
}
