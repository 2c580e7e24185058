//! The leave-one-out-by-time split of `docs/design.md`: for each user with at least 3 interactions the last
//! item is the test target, the second-to-last the validation target, the rest training; users with
//! fewer interactions stay entirely in training. Sequences are already ordered by [`crate::data`].

use crate::data::{Dataset, Interaction};

/// A held-out target of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// User index.
    pub user: u32,
    /// The held-out interaction.
    pub event: Interaction,
}

/// The split.
#[derive(Debug, Clone, Default)]
pub struct Split {
    /// Per user, the training prefix (everything but the last two for users with >= 3 interactions).
    pub train: Vec<Vec<Interaction>>,
    /// Validation targets (second-to-last interaction), in user order.
    pub valid: Vec<Target>,
    /// Test targets (last interaction), in user order.
    pub test: Vec<Target>,
}

impl Split {
    /// Splits `ds`.
    pub fn leave_one_out(ds: &Dataset) -> Split {
        let mut s = Split::default();
        for (u, seq) in ds.sequences.iter().enumerate() {
            let n = seq.len();
            if n >= 3 {
                s.train.push(seq[..n - 2].to_vec());
                s.valid.push(Target { user: u as u32, event: seq[n - 2].clone() });
                s.test.push(Target { user: u as u32, event: seq[n - 1].clone() });
            } else {
                s.train.push(seq.clone());
            }
        }
        s
    }

    /// Training sequences plus the validation targets appended (what the final refit uses).
    pub fn train_valid(&self) -> Vec<Vec<Interaction>> {
        let mut out = self.train.clone();
        for t in &self.valid {
            if let Some(seq) = out.get_mut(t.user as usize) {
                seq.push(t.event.clone());
            }
        }
        out
    }
}
