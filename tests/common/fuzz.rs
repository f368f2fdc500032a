//! The fixed-seed generator and byte mutator of the property tests (the stable-toolchain
//! companions of `fuzz/`): deterministic, so a failure reproduces exactly.

/// xorshift64*: small, deterministic, good enough to pick mutations.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One to five mutations of `data`: a bit flip, a token the format cares about, a cut range
/// (up to `span` bytes), a range repeated up to `repeats` times, a truncation, a random byte.
pub fn mutate_bytes(
    rng: &mut Rng,
    data: &mut Vec<u8>,
    tokens: &[&[u8]],
    span: usize,
    repeats: usize,
) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(6) {
            0 if !data.is_empty() => {
                let i = at.min(data.len() - 1);
                data[i] ^= 1 << rng.below(8);
            }
            1 => {
                let token = *rng.pick(tokens);
                data.splice(at..at, token.iter().copied());
            }
            2 => {
                let end = (at + rng.below(span)).min(data.len());
                data.drain(at..end);
            }
            3 => {
                let end = (at + rng.below(span)).min(data.len());
                let copy = data[at..end].to_vec();
                for _ in 0..1 + rng.below(repeats) {
                    data.splice(at..at, copy.iter().copied());
                }
            }
            4 => data.truncate(at),
            _ => data.insert(at, (rng.next() & 0xff) as u8),
        }
    }
}
