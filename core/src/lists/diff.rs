//! Changes to an ordered list, as the shells apply them (the shape of eyeball-im's `VectorDiff`), and the
//! keyed diff that turns an old list and a new one into the fewest such changes our lists need.

use std::collections::HashSet;
use std::hash::Hash;

/// One change to an ordered list. A batch of them, applied in order, takes a copy of the list from one state
/// of the core's list to the next.
#[derive(Clone, Debug, PartialEq)]
pub enum VectorDiff<T> {
    /// Adds these at the end.
    Append { values: Vec<T> },
    /// Adds one at the front.
    PushFront { value: T },
    /// Adds one at the end.
    PushBack { value: T },
    /// Inserts one at `index`; the ones from `index` on move one to the right.
    Insert { index: usize, value: T },
    /// Replaces the one at `index`.
    Set { index: usize, value: T },
    /// Removes the one at `index`.
    Remove { index: usize },
    /// Keeps the first `length`.
    Truncate { length: usize },
    /// Removes all.
    Clear,
    /// Replaces the whole list (also what a subscriber that fell behind gets).
    Reset { values: Vec<T> },
}

/// Why a diff cannot apply: the copy is not the list the diff was made for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a list diff names index {index} of a list of {len}")]
pub struct OutOfBounds {
    pub index: usize,
    pub len: usize,
}

impl<T> VectorDiff<T> {
    /// Applies this change to `list`.
    pub fn apply(self, list: &mut Vec<T>) -> Result<(), OutOfBounds> {
        let len = list.len();
        let check = |index: usize, limit: usize| {
            if index < limit {
                Ok(())
            } else {
                Err(OutOfBounds { index, len })
            }
        };
        match self {
            VectorDiff::Append { mut values } => list.append(&mut values),
            VectorDiff::PushFront { value } => list.insert(0, value),
            VectorDiff::PushBack { value } => list.push(value),
            VectorDiff::Insert { index, value } => {
                check(index, len + 1)?;
                list.insert(index, value)
            }
            VectorDiff::Set { index, value } => {
                check(index, len)?;
                list[index] = value
            }
            VectorDiff::Remove { index } => {
                check(index, len)?;
                list.remove(index);
            }
            VectorDiff::Truncate { length } => {
                check(length, len + 1)?;
                list.truncate(length)
            }
            VectorDiff::Clear => list.clear(),
            VectorDiff::Reset { values } => *list = values,
        }
        Ok(())
    }

    /// The same change with its values mapped (the bindings' records).
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> VectorDiff<U> {
        match self {
            VectorDiff::Append { values } => VectorDiff::Append {
                values: values.into_iter().map(f).collect(),
            },
            VectorDiff::PushFront { value } => VectorDiff::PushFront { value: f(value) },
            VectorDiff::PushBack { value } => VectorDiff::PushBack { value: f(value) },
            VectorDiff::Insert { index, value } => VectorDiff::Insert {
                index,
                value: f(value),
            },
            VectorDiff::Set { index, value } => VectorDiff::Set {
                index,
                value: f(value),
            },
            VectorDiff::Remove { index } => VectorDiff::Remove { index },
            VectorDiff::Truncate { length } => VectorDiff::Truncate { length },
            VectorDiff::Clear => VectorDiff::Clear,
            VectorDiff::Reset { values } => VectorDiff::Reset {
                values: values.into_iter().map(f).collect(),
            },
        }
    }
}

/// Applies a batch in order.
pub fn apply_batch<T>(list: &mut Vec<T>, batch: Vec<VectorDiff<T>>) -> Result<(), OutOfBounds> {
    batch.into_iter().try_for_each(|d| d.apply(list))
}

/// The changes that take `old` to `new`, items matched by `key` (unique within each list): removals of what
/// is gone, then, walking `new` from the front, a `Set` for a changed item, a move (remove, insert) for one
/// out of place, an insert for a new one; inserts at the end become one `Append`, inserts at the front of an
/// unchanged rest become `PushFront`s. When that is longer than the new list, one `Reset`.
pub fn diff<T, K>(old: &[T], new: &[T], key: impl Fn(&T) -> K) -> Vec<VectorDiff<T>>
where
    T: Clone + PartialEq,
    K: Eq + Hash,
{
    if old.is_empty() {
        return match new.is_empty() {
            true => Vec::new(),
            false => vec![VectorDiff::Append {
                values: new.to_vec(),
            }],
        };
    }
    if new.is_empty() {
        return vec![VectorDiff::Clear];
    }
    let mut out = Vec::new();
    let kept: HashSet<K> = new.iter().map(&key).collect();
    let mut cur: Vec<&T> = old.iter().collect();
    // Removals from the back keep the earlier indices valid; a run at the end is one truncate.
    let mut i = cur.len();
    while i > 0 {
        i -= 1;
        if !kept.contains(&key(cur[i])) {
            if i + 1 == cur.len() {
                let mut start = i;
                while start > 0 && !kept.contains(&key(cur[start - 1])) {
                    start -= 1;
                }
                cur.truncate(start);
                out.push(VectorDiff::Truncate { length: start });
                i = start;
            } else {
                cur.remove(i);
                out.push(VectorDiff::Remove { index: i });
            }
        }
    }
    let front = new.len().saturating_sub(cur.len());
    let prepended = cur.len() < new.len()
        && new[front..]
            .iter()
            .zip(&cur)
            .all(|(n, c)| key(n) == key(*c));
    if prepended {
        // Older items paged in: push them newest first so each lands at the front.
        for value in new[..front].iter().rev() {
            out.push(VectorDiff::PushFront {
                value: value.clone(),
            });
        }
        for (index, (n, c)) in new[front..].iter().zip(&cur).enumerate() {
            if n != *c {
                out.push(VectorDiff::Set {
                    index: index + front,
                    value: n.clone(),
                });
            }
        }
        return shortest(out, new);
    }
    let mut appended = Vec::new();
    for (i, item) in new.iter().enumerate() {
        if i < cur.len() && key(cur[i]) == key(item) {
            if cur[i] != item {
                out.push(VectorDiff::Set {
                    index: i,
                    value: item.clone(),
                });
            }
            continue;
        }
        let k = key(item);
        if let Some(j) = (i + 1..cur.len()).find(|&j| key(cur[j]) == k) {
            cur.remove(j);
            out.push(VectorDiff::Remove { index: j });
        }
        if i == cur.len() {
            appended.push(item.clone());
            cur.push(item);
        } else {
            cur.insert(i, item);
            out.push(VectorDiff::Insert {
                index: i,
                value: item.clone(),
            });
        }
    }
    if !appended.is_empty() {
        out.push(VectorDiff::Append { values: appended });
    }
    shortest(out, new)
}

/// `changes`, or one `Reset` to `new` if that is shorter.
fn shortest<T: Clone>(changes: Vec<VectorDiff<T>>, new: &[T]) -> Vec<VectorDiff<T>> {
    if changes.len() > new.len() {
        return vec![VectorDiff::Reset {
            values: new.to_vec(),
        }];
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lists of distinct keys with a changeable payload: (key, version).
    fn list() -> impl Strategy<Value = Vec<(u8, u8)>> {
        proptest::collection::vec((0u8..24, 0u8..3), 0..20).prop_map(|mut v| {
            let mut seen = HashSet::new();
            v.retain(|(k, _)| seen.insert(*k));
            v
        })
    }

    proptest! {
        /// Whatever the two lists, applying the diff to a copy of the old one gives the new one.
        #[test]
        fn applying_the_diff_of_two_lists_to_the_first_gives_the_second(old in list(), new in list()) {
            let mut copy = old.clone();
            let batch = diff(&old, &new, |(k, _)| *k);
            prop_assert!(batch.len() <= new.len().max(1));
            apply_batch(&mut copy, batch).unwrap();
            prop_assert_eq!(copy, new);
        }
    }

    #[test]
    fn the_common_changes_come_out_small() {
        let key = |x: &(u8, u8)| x.0;
        let old = vec![(1, 0), (2, 0), (3, 0)];
        assert_eq!(diff(&old, &old, key), vec![]);
        assert_eq!(
            diff(&old, &[(1, 0), (2, 0), (3, 0), (4, 0)], key),
            vec![VectorDiff::Append {
                values: vec![(4, 0)]
            }]
        );
        assert_eq!(
            diff(&old, &[(0, 0), (1, 0), (2, 0), (3, 1)], key),
            vec![
                VectorDiff::PushFront { value: (0, 0) },
                VectorDiff::Set {
                    index: 3,
                    value: (3, 1)
                }
            ]
        );
        // A buddy with a new message moves to the top: one remove, one insert.
        assert_eq!(
            diff(&old, &[(3, 1), (1, 0), (2, 0)], key),
            vec![
                VectorDiff::Remove { index: 2 },
                VectorDiff::Insert {
                    index: 0,
                    value: (3, 1)
                },
            ]
        );
        assert_eq!(
            diff(&old, &[(1, 0)], key),
            vec![VectorDiff::Truncate { length: 1 }]
        );
        assert_eq!(diff(&old, &[], key), vec![VectorDiff::Clear]);
        let mut copy = vec![1];
        assert_eq!(
            VectorDiff::Remove { index: 1 }.apply(&mut copy),
            Err(OutOfBounds { index: 1, len: 1 })
        );
    }
}
