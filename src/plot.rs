//! Charts of a table's columns, drawn as SVG by the `plotters` crate, that show inline in a notebook.
//!
//! Two kinds, enough for counting things: [`bars`] (one bar per row: counts per page, per level, per client) and
//! [`line`] (one point per row, joined: counts per minute). `x` is any column, shown as its text; `y` a numeric
//! column. The chart is drawn here, in the library, so a cell stays one line:
//!
//! ```no_run
//! # fn demo(per_minute: sourcelab::frame::DataFrame) -> sourcelab::Result<()> {
//! let chart = sourcelab::plot::line(&per_minute, "minute", "clicks", "Clicks per minute")?;
//! assert!(chart.svg().starts_with("<svg"));
//! # Ok(()) }
//! ```

use std::fmt;

use plotters::prelude::*;
use polars::prelude::{DataFrame, DataType};
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::frame::Show;

const WIDTH: u32 = 720;
const HEIGHT: u32 = 360;

/// A chart: SVG text, with a title.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plot {
    /// The title drawn above the chart.
    pub title: String,
    /// How many points (rows) it shows.
    pub points: usize,
    /// The largest y value.
    pub max: f64,
    #[serde(skip)]
    svg: String,
}

impl Plot {
    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }
}

impl fmt::Display for Plot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "chart \"{}\": {} point(s), largest value {}", self.title, self.points, self.max)
    }
}

impl Show for Plot {
    fn mime(&self) -> Vec<(String, String)> {
        vec![("image/svg+xml".into(), self.svg.clone()), ("text/plain".into(), self.to_string())]
    }
}

/// The x labels (any column, as text) and y values (a numeric column) of `df`.
fn points(df: &DataFrame, x: &str, y: &str, title: &str) -> Result<(Vec<String>, Vec<f64>)> {
    let what = format!("draw \"{title}\"");
    let names = || df.get_column_names().iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ");
    let column = |c: &str| {
        df.column(c).map_err(|_| {
            Error::new(ErrorKind::Input, what.clone(), format!("the table has no column {c:?}"))
                .hint(format!("its columns are: {}", names()))
        })
    };
    let xs =
        column(x)?.cast(&DataType::String).map_err(|e| Error::new(ErrorKind::Input, what.clone(), e.to_string()))?;
    let ys = column(y)?;
    if !ys.dtype().is_primitive_numeric() {
        return Err(Error::new(ErrorKind::Input, what, format!("column {y:?} is {}, not a number", ys.dtype()))
            .hint("plot a count or a sum: a column of integers or decimals"));
    }
    let labels: Vec<String> = (0..xs.len())
        .map(|i| xs.get(i).ok().and_then(|v| v.get_str().map(str::to_string)).unwrap_or_else(|| "null".into()))
        .collect();
    let values: Vec<f64> =
        (0..ys.len()).map(|i| ys.get(i).ok().and_then(|v| v.extract::<f64>()).unwrap_or(0.0)).collect();
    Ok((labels, values))
}

fn draw(df: &DataFrame, x: &str, y: &str, title: &str, bars: bool) -> Result<Plot> {
    let (labels, values) = points(df, x, y, title)?;
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let mut svg = String::new();
    let failed = |e: String| Error::new(ErrorKind::Service, format!("draw \"{title}\""), e);
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| failed(e.to_string()))?;
        let n = labels.len().max(1);
        let top = if max > 0.0 { max * 1.1 } else { 1.0 };
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(60)
            .y_label_area_size(50)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..top)
            .map_err(|e| failed(e.to_string()))?;
        // One label under each point, thinned to about a dozen; whole numbers on the y axis when the values are.
        let every = n.div_ceil(12).max(1);
        let label = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) if i.is_multiple_of(every) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        let whole = values.iter().all(|v| v.fract() == 0.0);
        let y_label = |v: &f64| if whole { format!("{v:.0}") } else { format!("{v}") };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(60))
            .x_label_formatter(&label)
            .y_label_formatter(&y_label)
            .x_desc(x)
            .y_desc(y)
            .draw()
            .map_err(|e| failed(e.to_string()))?;
        let colour = RGBColor(31, 119, 180);
        if bars {
            let rects = values.iter().enumerate().map(|(i, v)| {
                let mut r =
                    Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *v)], colour.filled());
                r.set_margin(0, 0, 6, 6);
                r
            });
            chart.draw_series(rects).map_err(|e| failed(e.to_string()))?;
        } else {
            let pts: Vec<(SegmentValue<usize>, f64)> =
                values.iter().enumerate().map(|(i, v)| (SegmentValue::CenterOf(i), *v)).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2)))
                .map_err(|e| failed(e.to_string()))?;
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, colour.filled())))
                .map_err(|e| failed(e.to_string()))?;
        }
        root.present().map_err(|e| failed(e.to_string()))?;
    }
    Ok(Plot { title: title.to_string(), points: labels.len(), max, svg })
}

/// A bar chart: one bar per row, `x` under it, height `y`.
pub fn bars(table: &DataFrame, x: &str, y: &str, title: &str) -> Result<Plot> {
    draw(table, x, y, title, true)
}

/// A line chart: one point per row, in the table's order, joined.
pub fn line(table: &DataFrame, x: &str, y: &str, title: &str) -> Result<Plot> {
    draw(table, x, y, title, false)
}
