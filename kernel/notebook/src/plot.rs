//! Charts of a table's columns (`sourcelab::plot`), drawn as SVG in the library; they show inline when they end a
//! cell. `x` is any column (shown as text), `y` a numeric one.

pub use crate::declared::plot::*;
use crate::frame::Shown;

/// A chart (`sourcelab::plot::Plot`): shows as an SVG image; `data()` has its `title`, `points` and `max`.
pub type Plot = Shown;
