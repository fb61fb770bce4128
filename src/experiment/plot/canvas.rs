//! The one drawing surface the charts draw on, whichever file it ends up in.
//!
//! Every chart is drawn twice, as SVG and as PNG. With plotters' backends as a type parameter,
//! every chart and every helper would be generic, and a registry of charts could not hold plain
//! function pointers; an enum over the two backends keeps the chart code concrete. It forwards
//! each call unchanged, so the files are exactly those the backends would draw directly.

use std::error::Error;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use super::text;
use super::PlotError;

/// The SVG backend, or the PNG one, whose text [`text::draw_text`] draws.
pub(crate) enum Backend<'a> {
    Svg(SVGBackend<'a>),
    Png(BitMapBackend<'a>),
}

/// The area a chart draws on.
pub(crate) type Canvas<'a> = DrawingArea<Backend<'a>, Shift>;

/// What drawing fails with; boxed so that `?` takes plotters' errors as they come.
pub(crate) type DResult<T = ()> = Result<T, Box<dyn Error>>;

/// Either backend's error, shown as the backend shows it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BackendError {
    #[error(transparent)]
    Svg(<SVGBackend<'static> as DrawingBackend>::ErrorType),
    #[error(transparent)]
    Png(<BitMapBackend<'static> as DrawingBackend>::ErrorType),
}

type Res<T = ()> = Result<T, DrawingErrorKind<BackendError>>;

fn lift<T, E: Error + Send + Sync>(
    result: Result<T, DrawingErrorKind<E>>,
    wrap: fn(E) -> BackendError,
) -> Res<T> {
    result.map_err(|e| match e {
        DrawingErrorKind::DrawingError(e) => DrawingErrorKind::DrawingError(wrap(e)),
        DrawingErrorKind::FontError(e) => DrawingErrorKind::FontError(e),
    })
}

/// Calls the same method on whichever backend this is.
macro_rules! forward {
    ($self:ident, $b:ident => $call:expr) => {
        match $self {
            Backend::Svg($b) => lift($call, BackendError::Svg),
            Backend::Png($b) => lift($call, BackendError::Png),
        }
    };
}

impl DrawingBackend for Backend<'_> {
    type ErrorType = BackendError;

    fn get_size(&self) -> (u32, u32) {
        match self {
            Backend::Svg(b) => b.get_size(),
            Backend::Png(b) => b.get_size(),
        }
    }

    fn ensure_prepared(&mut self) -> Res {
        forward!(self, b => b.ensure_prepared())
    }

    fn present(&mut self) -> Res {
        forward!(self, b => b.present())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res {
        forward!(self, b => b.draw_pixel(point, color))
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Res {
        forward!(self, b => b.draw_line(from, to, style))
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Res {
        forward!(self, b => b.draw_rect(upper_left, bottom_right, style, fill))
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Res {
        forward!(self, b => b.draw_path(path, style))
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Res {
        forward!(self, b => b.draw_circle(center, radius, style, fill))
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Res {
        forward!(self, b => b.fill_polygon(vert, style))
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Res {
        match self {
            Backend::Svg(b) => lift(b.draw_text(text, style, pos), BackendError::Svg),
            Backend::Png(b) => lift(text::draw_text(b, text, style, pos), BackendError::Png),
        }
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> Res<(u32, u32)> {
        forward!(self, b => b.estimate_text_size(text, style))
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Res {
        forward!(self, b => b.blit_bitmap(pos, size, src))
    }
}

/// Draws a chart as `<name>.svg` and `<name>.png` in `dir`; returns the file names.
pub(crate) fn render(
    dir: &Path,
    name: &str,
    size: (u32, u32),
    draw: impl Fn(&Canvas) -> DResult,
) -> Result<Vec<String>, PlotError> {
    let svg = format!("{name}.svg");
    let png = format!("{name}.png");
    let fail = |file: &str| {
        let path = dir.join(file);
        move |e: Box<dyn Error>| PlotError::Draw {
            path,
            message: e.to_string(),
        }
    };
    {
        let path = dir.join(&svg);
        let root = Backend::Svg(SVGBackend::new(&path, size)).into_drawing_area();
        draw(&root)
            .and_then(|()| Ok(root.present()?))
            .map_err(fail(&svg))?;
    }
    {
        let path = dir.join(&png);
        let root = Backend::Png(BitMapBackend::new(&path, size)).into_drawing_area();
        draw(&root)
            .and_then(|()| Ok(root.present()?))
            .map_err(fail(&png))?;
    }
    Ok(vec![svg, png])
}
