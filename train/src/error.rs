//! The one error type of the trainer.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in `recofuse-train`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Malformed input at a given line (1-based).
    #[error("{path}:{line}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A whole-file problem (unknown format, empty file, no usable rows...).
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The engine rejected something (model validation, bundle decoding...).
    #[error("{code}: {0}", code = .0.code())]
    Core(#[from] recofuse_core::Error),
    /// A bad value in a table of `recofuse pack` (issue 19): the table, its file, the 1-based row within
    /// the file (0: the file itself) and the column.
    #[error("table {table} ({file}), row {row}, column {column}: {reason}")]
    Table {
        /// The table (`item_cf`, `popularity`, ...).
        table: String,
        /// The Parquet file.
        file: PathBuf,
        /// 1-based row within the file (0 when the file as a whole is bad).
        row: usize,
        /// The column (empty when the file as a whole is bad).
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// An invalid argument or combination of arguments.
    #[error("invalid argument: {0}")]
    Invalid(String),
}

impl TrainError {
    /// An [`TrainError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io { path: path.into(), source }
    }

    /// A [`TrainError::Parse`] for `path` at 1-based `line`.
    pub fn parse(path: impl Into<PathBuf>, line: usize, reason: impl Into<String>) -> Self {
        TrainError::Parse { path: path.into(), line, reason: reason.into() }
    }

    /// A [`TrainError::Format`] for `path`.
    pub fn format(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        TrainError::Format { path: path.into(), reason: reason.into() }
    }
}

/// Result alias of the trainer.
pub type Result<T, E = TrainError> = std::result::Result<T, E>;
