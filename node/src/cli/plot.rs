//! A small line chart written as PNG: two series over rounds (test accuracy on a 0-1 axis
//! on the left, epsilon on its own axis on the right), with gridlines and numeric labels in
//! a built-in 5x7 font. No dependencies: the PNG is stored uncompressed (deflate "stored"
//! blocks), which every viewer reads.

use std::path::Path;

const W: usize = 720;
const H: usize = 420;
const LEFT: usize = 60;
const RIGHT: usize = 60;
const TOP: usize = 30;
const BOTTOM: usize = 50;

type Rgb = [u8; 3];
const WHITE: Rgb = [255, 255, 255];
const GRID: Rgb = [225, 225, 225];
const AXIS: Rgb = [60, 60, 60];
const BLUE: Rgb = [31, 119, 180];
const RED: Rgb = [214, 39, 40];

/// Glyphs of the 5x7 font: each row's 5 bits, most significant on the left.
fn glyph(c: char) -> [u8; 7] {
    match c {
        '0' => [14, 17, 19, 21, 25, 17, 14],
        '1' => [4, 12, 4, 4, 4, 4, 14],
        '2' => [14, 17, 1, 2, 4, 8, 31],
        '3' => [31, 2, 4, 2, 1, 17, 14],
        '4' => [2, 6, 10, 18, 31, 2, 2],
        '5' => [31, 16, 30, 1, 1, 17, 14],
        '6' => [6, 8, 16, 30, 17, 17, 14],
        '7' => [31, 1, 2, 4, 8, 8, 8],
        '8' => [14, 17, 17, 14, 17, 17, 14],
        '9' => [14, 17, 17, 15, 1, 2, 12],
        '.' => [0, 0, 0, 0, 0, 12, 12],
        'a' => [0, 0, 14, 1, 15, 17, 15],
        'c' => [0, 0, 14, 16, 16, 17, 14],
        'd' => [1, 1, 13, 19, 17, 17, 15],
        'e' => [0, 0, 14, 17, 31, 16, 14],
        'i' => [4, 0, 12, 4, 4, 4, 14],
        'l' => [12, 4, 4, 4, 4, 4, 14],
        'n' => [0, 0, 22, 25, 17, 17, 17],
        'o' => [0, 0, 14, 17, 17, 17, 14],
        'p' => [0, 0, 30, 17, 30, 16, 16],
        'r' => [0, 0, 22, 25, 16, 16, 16],
        's' => [0, 0, 14, 16, 14, 1, 30],
        't' => [8, 8, 28, 8, 8, 9, 6],
        'u' => [0, 0, 17, 17, 17, 19, 13],
        'y' => [0, 0, 17, 17, 15, 1, 14],
        _ => [0; 7],
    }
}

struct Canvas {
    px: Vec<Rgb>,
}

impl Canvas {
    fn new() -> Self {
        Self {
            px: vec![WHITE; W * H],
        }
    }

    fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if (0..W as i64).contains(&x) && (0..H as i64).contains(&y) {
            self.px[y as usize * W + x as usize] = c;
        }
    }

    fn dot(&mut self, x: i64, y: i64, r: i64, c: Rgb) {
        for dy in -r..=r {
            for dx in -r..=r {
                if dx * dx + dy * dy <= r * r {
                    self.set(x + dx, y + dy, c);
                }
            }
        }
    }

    /// A line two pixels thick (Bresenham).
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: Rgb) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.set(x, y, c);
            self.set(x, y + 1, c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    fn text(&mut self, x: i64, y: i64, s: &str, c: Rgb) {
        for (i, ch) in s.chars().enumerate() {
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..5 {
                    if bits >> (4 - col) & 1 == 1 {
                        self.set(x + i as i64 * 6 + col, y + row as i64, c);
                    }
                }
            }
        }
    }
}

/// Draws `accuracy` (0-1, left axis) and `epsilon` (right axis) per round into a PNG
/// file. `accuracy[0]` and `epsilon[0]` are round 0 (before training) when `from_zero`.
pub(crate) fn chart(
    path: &Path,
    accuracy: &[f64],
    epsilon: &[f64],
    from_zero: bool,
) -> std::io::Result<()> {
    let mut c = Canvas::new();
    let n = accuracy.len().max(epsilon.len()).max(2);
    let first = usize::from(!from_zero);
    let (pw, ph) = ((W - LEFT - RIGHT) as f64, (H - TOP - BOTTOM) as f64);
    let x_of = |i: usize| LEFT as i64 + (i as f64 / (n - 1) as f64 * pw).round() as i64;
    let eps_max = epsilon.iter().copied().fold(0.0f64, f64::max).max(1e-9) * 1.1;
    let y_acc = |v: f64| TOP as i64 + ((1.0 - v.clamp(0.0, 1.0)) * ph).round() as i64;
    let y_eps = |v: f64| TOP as i64 + ((1.0 - (v / eps_max).clamp(0.0, 1.0)) * ph).round() as i64;
    for k in 0..=5 {
        let v = f64::from(k) / 5.0;
        let y = y_acc(v);
        for x in LEFT..W - RIGHT {
            c.set(x as i64, y, GRID);
        }
        c.text(LEFT as i64 - 34, y - 3, &format!("{v:.1}"), BLUE);
        c.text(
            (W - RIGHT) as i64 + 6,
            y - 3,
            &format!("{:.2}", v * eps_max),
            RED,
        );
    }
    for i in 0..n {
        let x = x_of(i);
        for y in TOP..H - BOTTOM {
            if y % 4 == 0 {
                c.set(x, y as i64, GRID);
            }
        }
        c.text(
            x - 3,
            (H - BOTTOM) as i64 + 8,
            &(i + first).to_string(),
            AXIS,
        );
    }
    for y in TOP..=H - BOTTOM {
        c.set(LEFT as i64, y as i64, AXIS);
        c.set((W - RIGHT) as i64, y as i64, AXIS);
    }
    for x in LEFT..=W - RIGHT {
        c.set(x as i64, (H - BOTTOM) as i64, AXIS);
    }
    c.text((W / 2) as i64 - 15, (H - BOTTOM) as i64 + 24, "round", AXIS);
    c.text(LEFT as i64, 10, "accuracy", BLUE);
    c.text((W - RIGHT) as i64 - 42, 10, "epsilon", RED);
    for (series, y_of, color) in [
        (accuracy, &y_acc as &dyn Fn(f64) -> i64, BLUE),
        (epsilon, &y_eps as &dyn Fn(f64) -> i64, RED),
    ] {
        let pts: Vec<(i64, i64)> = series
            .iter()
            .enumerate()
            .map(|(i, v)| (x_of(i), y_of(*v)))
            .collect();
        for w in pts.windows(2) {
            c.line(w[0], w[1], color);
        }
        for p in &pts {
            c.dot(p.0, p.1, 3, color);
        }
    }
    std::fs::write(path, png(&c))
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for x in chunk {
            a += u32::from(*x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

/// RGB8 PNG with a zlib stream of stored blocks.
fn png(c: &Canvas) -> Vec<u8> {
    let mut raw = Vec::with_capacity(H * (1 + 3 * W));
    for y in 0..H {
        raw.push(0);
        for x in 0..W {
            raw.extend_from_slice(&c.px[y * W + x]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = b.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(W as u32).to_be_bytes());
    ihdr.extend_from_slice(&(H as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_their_reference_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn the_chart_is_a_png_with_both_series_drawn() {
        let path = std::env::temp_dir().join(format!("arcanum-chart-{}.png", std::process::id()));
        chart(&path, &[0.1, 0.6, 0.8, 0.9], &[0.0, 1.0, 1.5, 1.9], true).expect("write");
        let bytes = std::fs::read(&path).expect("read");
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            &bytes[..8],
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]
        );
        assert_eq!(&bytes[12..16], b"IHDR");
        assert_eq!(
            u32::from_be_bytes(bytes[16..20].try_into().expect("4")),
            W as u32
        );
        // Both colours appear in the pixel data (stored blocks: raw bytes are in the file).
        let has = |c: Rgb| bytes.windows(3).any(|w| w == c);
        assert!(has(BLUE) && has(RED));
    }
}
