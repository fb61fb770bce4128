//! Text for the PNG charts, rasterised here rather than by plotters.
//!
//! plotters 0.3.7 draws ab_glyph text ignoring each glyph's left side bearing and rounding the
//! pen to whole pixels, so letters stand unevenly ("b ands"), and it sets the baseline at half
//! the font size, so text sits above the box it is anchored by. [`draw_text`] lays text out
//! with the same widths plotters measures (so layouts do not change) and draws each glyph where
//! the font puts it. SVG files are unaffected: their text is drawn by the viewer.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, PxScaleFont, ScaleFont};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        FontRef::try_from_slice(super::FONT_BYTES).expect("the embedded font parses")
    })
}

/// Draws `text` on `backend` as plotters would place it, each glyph where the font puts it.
pub(crate) fn draw_text<DB: DrawingBackend, S: BackendTextStyle>(
    backend: &mut DB,
    text: &str,
    style: &S,
    pos: BackendCoord,
) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
    let color = style.color();
    if color.alpha == 0.0 {
        return Ok(());
    }
    let size = style.size() as f32;
    let font = font().as_scaled(PxScale::from(size));
    // The box plotters anchors by: the advance width, and its em estimate as height.
    let (_, width) = pens(&font, text, 0.0);
    let height = size / 1.24;
    let dx = match style.anchor().h_pos {
        HPos::Left => 0.0,
        HPos::Center => -width / 2.0,
        HPos::Right => -width,
    };
    let dy = match style.anchor().v_pos {
        VPos::Top => 0.0,
        VPos::Center => -height / 2.0,
        VPos::Bottom => -height,
    };
    // Capitals (0.73 em in DejaVu Sans) centred in the box.
    let baseline = dy + 0.865 * height;
    let transform = style.transform();
    let (w, h) = backend.get_size();
    for (id, pen) in pens(&font, text, dx).0 {
        let glyph = id.with_scale_and_position(size, ab_glyph::point(pen, baseline));
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        let mut pixels = Vec::new();
        outline.draw(|x, y, coverage| {
            if coverage > 0.0 {
                pixels.push((
                    bounds.min.x as i32 + x as i32,
                    bounds.min.y as i32 + y as i32,
                    coverage,
                ))
            }
        });
        for (x, y, coverage) in pixels {
            let (x, y) = transform.transform(x, y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && x < w as i32 && y < h as i32 {
                backend.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha: color.alpha * f64::from(coverage.min(1.0)),
                        rgb: color.rgb,
                    },
                )?;
            }
        }
    }
    Ok(())
}

/// Each glyph of `text` with its pen position, kerned, from `start`; and where the pen ends.
/// Measuring and drawing share this so that text is drawn exactly as wide as it was measured.
fn pens<F: Font>(font: &PxScaleFont<F>, text: &str, start: f32) -> (Vec<(GlyphId, f32)>, f32) {
    let mut out = Vec::new();
    let mut pen = start;
    let mut prev = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            pen += font.kern(p, id);
        }
        prev = Some(id);
        out.push((id, pen));
        pen += font.h_advance(id);
    }
    (out, pen)
}
