//! Which of the messages a tab holds are on the page: at most [`MAX_SHOWN`] in a row, so the
//! DOM stays the same size however far up the reader goes. The run is named by its last
//! message (`None`: it ends at the newest one and follows the conversation as it grows), so
//! pages coming in above and replies coming in below never move it by themselves.

use std::ops::Range;

use uuid::Uuid;

/// The most messages rendered at once.
pub const MAX_SHOWN: usize = 250;
/// How far the run moves when the reader nears one of its ends.
pub const STEP: usize = 100;

/// The run of shown messages, named by its last one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shown {
    /// `None`: up to the newest message.
    pub last: Option<Uuid>,
}

impl Shown {
    /// The indices into `ids` (every message held, oldest first) that are shown. A last
    /// message no longer held (a branch switch, an edit) shows the newest ones instead.
    pub fn range(&self, ids: &[Uuid]) -> Range<usize> {
        let end = match self.last {
            Some(last) => ids.iter().position(|id| *id == last).map_or(ids.len(), |at| at + 1),
            None => ids.len(),
        };
        end.saturating_sub(MAX_SHOWN)..end
    }

    /// Whether the newest message held is shown, so new text appears below the reader.
    pub fn at_newest(&self, ids: &[Uuid]) -> bool {
        self.range(ids).end == ids.len()
    }

    /// The run that starts at index `start` (as many as fit, to the newest at most).
    pub fn starting_at(ids: &[Uuid], start: usize) -> Self {
        let end = (start.min(ids.len()) + MAX_SHOWN).min(ids.len());
        Self { last: (end < ids.len()).then(|| ids[end - 1]) }
    }

    /// [`STEP`] messages further up, where there are any shown above.
    pub fn up(&self, ids: &[Uuid]) -> Self {
        Self::starting_at(ids, self.range(ids).start.saturating_sub(STEP))
    }

    /// [`STEP`] messages further down.
    pub fn down(&self, ids: &[Uuid]) -> Self {
        let range = self.range(ids);
        Self::starting_at(ids, (range.start + STEP).min(ids.len().saturating_sub(MAX_SHOWN)))
    }

    /// A run with message `target` in its middle, where it is held.
    pub fn around(ids: &[Uuid], target: Uuid) -> Self {
        match ids.iter().position(|id| *id == target) {
            Some(at) => Self::starting_at(ids, at.saturating_sub(MAX_SHOWN / 2)),
            None => Self::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(count: u128) -> Vec<Uuid> {
        (1..=count).map(Uuid::from_u128).collect()
    }

    #[test]
    fn a_short_conversation_is_shown_whole_and_follows_its_newest_message() {
        let ids = ids(40);
        let shown = Shown::default();
        assert_eq!(shown.range(&ids), 0..40);
        assert!(shown.at_newest(&ids));
        assert_eq!(shown.up(&ids), shown, "nothing above: nothing moves");
        assert_eq!(shown.down(&ids), shown);
    }

    #[test]
    fn a_long_one_shows_its_newest_messages_and_moves_up_and_down_a_step_at_a_time() {
        let ids = ids(1_000);
        let newest = Shown::default();
        assert_eq!(newest.range(&ids), 750..1_000);
        let up = newest.up(&ids);
        assert_eq!(up.range(&ids), 650..900);
        assert!(!up.at_newest(&ids));
        assert_eq!(up.up(&ids).range(&ids), 550..800);
        assert_eq!(up.down(&ids), newest, "back at the bottom it follows the newest again");
        let top = (0..20).fold(newest, |shown, _| shown.up(&ids));
        assert_eq!(top.range(&ids), 0..MAX_SHOWN);
    }

    #[test]
    fn pages_loaded_above_and_replies_below_leave_the_run_where_it_is() {
        let mut held = ids(1_000);
        let shown = Shown::default().up(&held);
        let before: Vec<Uuid> = held[shown.range(&held)].to_vec();
        held.splice(0..0, (5_000..5_100).map(Uuid::from_u128));
        held.push(Uuid::from_u128(9_999));
        assert_eq!(held[shown.range(&held)], before[..]);
        // The newest run takes in the reply.
        assert_eq!(held[Shown::default().range(&held)].last(), Some(&Uuid::from_u128(9_999)));
    }

    #[test]
    fn a_jump_centres_its_target_and_a_run_whose_end_is_gone_shows_the_newest() {
        let ids = ids(2_000);
        let shown = Shown::around(&ids, Uuid::from_u128(10));
        assert_eq!(shown.range(&ids), 0..MAX_SHOWN);
        let shown = Shown::around(&ids, Uuid::from_u128(1_000));
        assert!(shown.range(&ids).contains(&999));
        assert_eq!(shown.range(&ids).start, 999 - MAX_SHOWN / 2);
        assert_eq!(Shown::around(&ids, Uuid::from_u128(1_990)), Shown::default());
        let gone = Shown { last: Some(Uuid::from_u128(77_777)) };
        assert_eq!(gone.range(&ids), Shown::default().range(&ids));
    }
}
