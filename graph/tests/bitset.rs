//! The bit set against a plain `Vec<bool>`.

use heapscope_graph::bitset::BitSet;

use crate::support::cases;

#[test]
fn next_set_and_count_match_a_bool_vector() {
    let mut rng = fastrand::Rng::with_seed(3);
    for _ in 0..cases(1500) / 10 {
        let n = rng.usize(0..300);
        let density = rng.u8(1..100);
        let mut bits = BitSet::new(n);
        let mut plain = vec![false; n];
        for (i, p) in plain.iter_mut().enumerate() {
            if rng.u8(0..100) < density {
                bits.set(i);
                *p = true;
            }
        }
        assert_eq!(bits.count(), plain.iter().filter(|&&b| b).count());
        for i in 0..n + 70 {
            let want = (i..n).find(|&j| plain[j]);
            assert_eq!(bits.next_set(i), want, "from {i} of {n}");
            assert_eq!(bits.get(i), i < n && plain[i]);
        }
    }
}
