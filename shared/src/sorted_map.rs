//! [`SortedMap`]: the ordered map of the model (answers by question, texts
//! by locale, JSON objects).
//!
//! Two builds, one API, as with [`json::Value`](crate::json::Value). On the
//! host (the collector, tests) it is [`BTreeMap`](std::collections::BTreeMap),
//! so the collector's code is unchanged. In the WebAssembly widget it is
//! [`VecMap`], a vector of pairs sorted by key: the model's maps hold a few
//! dozen entries at most, and each `BTreeMap` instantiation cost the widget
//! 3–11 KB of wasm (about 24 KB for its three maps). Both iterate in key
//! order, so JSON written from either is identical. [`VecMap`] offers the
//! subset of `BTreeMap`'s API this crate and the widget use, with the same
//! names; it is compiled and tested on every target.

use std::borrow::Borrow;
use std::cmp::Ordering;

/// The model's ordered map: `BTreeMap` on the host, [`VecMap`] in wasm.
#[cfg(not(target_arch = "wasm32"))]
pub type SortedMap<K, V> = std::collections::BTreeMap<K, V>;

/// The model's ordered map: `BTreeMap` on the host, [`VecMap`] in wasm.
#[cfg(target_arch = "wasm32")]
pub type SortedMap<K, V> = VecMap<K, V>;

/// A map stored as a vector of `(key, value)` pairs sorted by key, with
/// unique keys. Lookups are binary searches; inserts and removals shift the
/// tail, which is cheap for the small maps it is meant for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K, V> VecMap<K, V> {
    /// An empty map.
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter(self.entries.iter())
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Keeps only the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// Where `key` is (`Ok`) or would go (`Err`).
    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value for `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|at| &self.entries[at].1)
    }

    /// The value for `key`, mutably.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|at| &mut self.entries[at].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).is_ok()
    }

    /// Sets the value for `key`, returning the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(at) => Some(std::mem::replace(&mut self.entries[at].1, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|at| self.entries.remove(at).1)
    }
}

/// Collects pairs; a later pair replaces an earlier one with the same key,
/// as with `BTreeMap`. Inserts one by one rather than sorting: no sort
/// instantiation, and the maps are small.
impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut map = Self::new();
        for (k, v) in pairs {
            map.insert(k, v);
        }
        map
    }
}

impl<K: Ord, V, const N: usize> From<[(K, V); N]> for VecMap<K, V> {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// Iterator over `&VecMap` entries as `(&K, &V)`, like `BTreeMap`'s.
#[derive(Debug, Clone)]
pub struct Iter<'a, K, V>(std::slice::Iter<'a, (K, V)>);

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// Orders like `BTreeMap`: entry by entry, in key order.
impl<K: PartialOrd, V: PartialOrd> PartialOrd for VecMap<K, V> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.entries.partial_cmp(&other.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn pairs(map: &VecMap<String, i32>) -> Vec<(&str, i32)> {
        map.iter().map(|(k, v)| (k.as_str(), *v)).collect()
    }

    #[test]
    fn inserts_in_key_order_and_replaces_equal_keys() {
        let mut map = VecMap::new();
        assert_eq!(map.insert("b".to_owned(), 2), None);
        assert_eq!(map.insert("c".to_owned(), 3), None);
        assert_eq!(map.insert("a".to_owned(), 1), None);
        assert_eq!(map.insert("b".to_owned(), 20), Some(2));
        assert_eq!(pairs(&map), [("a", 1), ("b", 20), ("c", 3)]);
        assert_eq!(map.len(), 3);
        assert_eq!(map.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(map.values().collect::<Vec<_>>(), [&1, &20, &3]);
    }

    #[test]
    fn looks_up_and_removes_by_borrowed_key() {
        let mut map: VecMap<String, i32> = [("x".to_owned(), 1), ("y".to_owned(), 2)].into();
        assert_eq!(map.get("y"), Some(&2));
        assert_eq!(map.get("z"), None);
        assert!(map.contains_key("x"));
        *map.get_mut("x").unwrap() += 10;
        assert_eq!(map.remove("x"), Some(11));
        assert_eq!(map.remove("x"), None);
        assert_eq!(pairs(&map), [("y", 2)]);
        assert!(!map.is_empty());
        map.retain(|_, v| *v > 2);
        assert!(map.is_empty());
    }

    #[test]
    fn collecting_keeps_the_last_duplicate_like_btreemap() {
        let input = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)];
        let vec: VecMap<&str, i32> = input.into_iter().collect();
        let btree: BTreeMap<&str, i32> = input.into_iter().collect();
        assert_eq!(
            vec.iter().collect::<Vec<_>>(),
            btree.iter().collect::<Vec<_>>()
        );
        assert_eq!(
            vec.into_iter().collect::<Vec<_>>(),
            btree.into_iter().collect::<Vec<_>>()
        );
    }

    proptest::proptest! {
        /// Any sequence of inserts and removals leaves a `VecMap` with the
        /// same entries, in the same order, as a `BTreeMap`, with the same
        /// return values on the way.
        #[test]
        fn behaves_like_btreemap(ops in proptest::collection::vec((proptest::bool::ANY, 0u8..12, 0i32..100), 0..60)) {
            let mut vec: VecMap<u8, i32> = VecMap::new();
            let mut btree: BTreeMap<u8, i32> = BTreeMap::new();
            for (insert, key, value) in ops {
                if insert {
                    proptest::prop_assert_eq!(vec.insert(key, value), btree.insert(key, value));
                } else {
                    proptest::prop_assert_eq!(vec.remove(&key), btree.remove(&key));
                }
                proptest::prop_assert_eq!(vec.get(&key), btree.get(&key));
                proptest::prop_assert_eq!(vec.len(), btree.len());
            }
            proptest::prop_assert_eq!(vec.iter().collect::<Vec<_>>(), btree.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn equality_and_order_follow_the_entries() {
        let a: VecMap<&str, i32> = [("a", 1), ("b", 2)].into();
        let b: VecMap<&str, i32> = [("b", 2), ("a", 1)].into();
        let c: VecMap<&str, i32> = [("a", 1), ("b", 3)].into();
        assert_eq!(a, b);
        assert!(a < c);
    }
}
