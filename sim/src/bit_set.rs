//! `BitSet`: a set of small integers as words of bits, iterated in ascending order. Insert and
//! remove are a bit flip, iteration a scan of `max / 64` words: the shape of the scheduler's
//! candidate threads (`ThreadSet`) and of the oracles' sleeping loops (`LoopSet`), sets that
//! change at every park and wake.

#[derive(Default)]
pub(crate) struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    #[inline]
    pub fn insert(&mut self, n: usize) {
        let (word, bit) = (n / 64, n % 64);
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        self.words[word] |= 1 << bit;
    }

    #[inline]
    pub fn remove(&mut self, n: usize) {
        if let Some(w) = self.words.get_mut(n / 64) {
            *w &= !(1 << (n % 64));
        }
    }

    #[inline]
    pub fn contains(&self, n: usize) -> bool {
        self.words
            .get(n / 64)
            .is_some_and(|w| w & (1 << (n % 64)) != 0)
    }

    /// The members, ascending.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(i * 64 + bit)
            })
        })
    }
}
