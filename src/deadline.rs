//! The deadlines of the RPC attempts in flight, served by one timer at a time instead of one
//! timer per attempt: which deadlines have passed when the timer fires, and when it must fire
//! next. An attempt that ends before its deadline only leaves the queue; the timer is set again
//! only for a deadline earlier than the one it is set for. Pure: the clock is passed in; the
//! wasm build (`runtime.rs`) drives it with one JavaScript `setTimeout`.

/// A deadline in the queue: when it falls due (ms since the epoch) and a sequence number.
pub type DeadlineKey = (u64, u64);

/// Pending deadlines, each with the item to hand back when it falls due. A few at a time
/// (one per attempt in flight): a plain list, which keeps the wasm small.
#[derive(Debug)]
pub struct DeadlineQueue<T> {
    next_seq: u64,
    pending: Vec<(DeadlineKey, T)>,
    /// When the timer is set to fire, if it is set.
    timer_at: Option<u64>,
}

impl<T> Default for DeadlineQueue<T> {
    fn default() -> Self {
        Self {
            next_seq: 0,
            pending: Vec::new(),
            timer_at: None,
        }
    }
}

impl<T> DeadlineQueue<T> {
    /// Adds a deadline at `at`. Returns its key, and the time to set the timer for when it is
    /// not set, or set for later than `at`.
    pub fn add(&mut self, at: u64, item: T) -> (DeadlineKey, Option<u64>) {
        let key = (at, self.next_seq);
        self.next_seq += 1;
        self.pending.push((key, item));
        let set_timer = match self.timer_at {
            Some(t) if t <= at => None,
            _ => {
                self.timer_at = Some(at);
                Some(at)
            }
        };
        (key, set_timer)
    }

    /// Removes a deadline whose attempt has ended. The timer is left as it is: firing with
    /// nothing due costs one check.
    pub fn remove(&mut self, key: DeadlineKey) -> Option<T> {
        let index = self.pending.iter().position(|(k, _)| *k == key)?;
        Some(self.pending.swap_remove(index).1)
    }

    /// The timer fired at `now`: the items of every deadline that has passed, and the time to
    /// set the timer for next, if a deadline remains.
    pub fn fire(&mut self, now: u64) -> (Vec<T>, Option<u64>) {
        let mut due = Vec::new();
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].0 .0 <= now {
                due.push(self.pending.swap_remove(i).1);
            } else {
                i += 1;
            }
        }
        self.timer_at = self.pending.iter().map(|((at, _), _)| *at).min();
        (due, self.timer_at)
    }

    /// How many deadlines are pending.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn the_timer_is_set_only_for_an_earlier_deadline() {
        let mut q = DeadlineQueue::default();
        assert_eq!(q.add(5_000, "a").1, Some(5_000), "no timer yet");
        assert_eq!(q.add(5_010, "b").1, None, "later than the timer");
        assert_eq!(q.add(5_000, "c").1, None, "same time as the timer");
        assert_eq!(q.add(300, "d").1, Some(300), "earlier: set the timer again");
        assert_eq!(q.len(), 4);
    }

    #[test]
    fn firing_hands_back_what_is_due_and_sets_the_timer_for_the_rest() {
        let mut q = DeadlineQueue::default();
        q.add(100, "a");
        q.add(300, "c");
        q.add(100, "b");
        assert_eq!(q.fire(99), (vec![], Some(100)), "early: nothing due yet");
        let (mut due, next) = q.fire(150);
        due.sort_unstable();
        assert_eq!((due, next), (vec!["a", "b"], Some(300)));
        assert_eq!(q.fire(300), (vec!["c"], None));
        assert!(q.is_empty());
        assert_eq!(q.add(400, "d").1, Some(400), "no timer left: set it");
    }

    #[test]
    fn an_attempt_that_ended_never_falls_due() {
        let mut q = DeadlineQueue::default();
        let (a, _) = q.add(100, "a");
        let (b, _) = q.add(200, "b");
        assert_eq!(q.remove(a), Some("a"));
        assert_eq!(q.remove(a), None);
        // The timer still fires at 100, finds nothing due and is set for b.
        assert_eq!(q.fire(100), (vec![], Some(200)));
        assert_eq!(q.remove(b), Some("b"));
        assert_eq!(q.fire(200), (vec![], None));
    }

    #[test]
    fn sequential_attempts_share_one_timer() {
        // One attempt after another, each ending in 3 ms with a 5 s deadline: the timer is
        // set once, and fires once, with nothing due, after 5 s.
        let mut q = DeadlineQueue::default();
        let mut timers_set = 0;
        for i in 0..1000 {
            let now = i * 3;
            let (key, set) = q.add(now + 5_000, ());
            timers_set += usize::from(set.is_some());
            q.remove(key);
        }
        assert_eq!(timers_set, 1);
        assert_eq!(q.fire(5_000), (vec![], None));
    }
}
