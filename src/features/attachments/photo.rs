//! What happens to a photo's bytes before they are stored: the real type is sniffed from the
//! bytes (never from a name or a header the phone sends), the picture is decoded once (a
//! script renamed `.jpg`, a truncated file or a decompression bomb ends here), every piece
//! of metadata is dropped except the orientation the picture needs to stand upright, and a
//! small JPEG thumbnail is made for lists on thin data plans.
//!
//! **Why strip by container rather than re-encode.** Re-encoding with `image` would drop the
//! metadata too, but costs a second lossy generation and far more CPU per photo; `img-parts`
//! rewrites the container around the untouched compressed picture. What is kept is a
//! whitelist, not a blacklist: in a JPEG only the JFIF header, the ICC colour profile, the
//! Adobe colour-transform marker and the picture's own tables and scans; in a PNG only the
//! chunks that say how to draw it; in a WebP everything but its EXIF and XMP chunks. A JPEG's
//! bytes after its end-of-image marker (where phones append a second, full-size picture with
//! its own EXIF and GPS: the "multi-picture" format) are cut. The orientation is written back
//! as a two-field EXIF block (kamadak-exif's writer) so a portrait photo is not shown on its
//! side; no other field survives, GPS least of all.
//!
//! HEIC (iPhones' default) has no pure-Rust decoder: it is refused with a sentence saying how
//! to send JPEG instead (browsers convert HEIC to JPEG when a web page takes a photo).

use std::io::Cursor;

use bytes::Bytes;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, metadata::Orientation};
use img_parts::{ImageEXIF, jpeg::Jpeg, png::Png, webp::WebP};

/// The picture types accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
}

impl Kind {
    pub fn mime(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
        }
    }

    pub fn parse_mime(s: &str) -> Option<Self> {
        [Kind::Jpeg, Kind::Png, Kind::Webp]
            .into_iter()
            .find(|k| k.mime() == s)
    }
}

/// A photo ready to store.
#[derive(Debug)]
pub struct Processed {
    pub kind: Kind,
    /// The photo with its metadata stripped.
    pub bytes: Vec<u8>,
    /// As shown (after the orientation is applied).
    pub width: u32,
    pub height: u32,
    /// A JPEG whose longer edge is at most the thumbnail edge.
    pub thumbnail: Vec<u8>,
}

/// Why bytes were refused; the message is shown to the resident.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "HEIC photos are not accepted: take the photo in the app, or set the camera to \"Most Compatible\" (JPEG)"
    )]
    Heic,
    #[error("these bytes are not a JPEG, PNG or WebP picture")]
    NotAnImage,
    #[error("the picture cannot be read: {0}")]
    Unreadable(String),
    #[error("the picture is larger than {MAX_EDGE} pixels on a side")]
    TooManyPixels,
}

/// The largest picture edge decoded: well above any phone camera's (a 200-megapixel sensor
/// is 16,320 wide), well below what would let a small file claim gigabytes when decoded.
pub const MAX_EDGE: u32 = 16_384;
/// Most memory one decode may take.
const MAX_ALLOC: u64 = 768 * 1024 * 1024;

/// Sniffs, decodes, strips and thumbnails `bytes` (CPU-bound: call it off the async
/// runtime).
pub fn process(bytes: &[u8], thumbnail_edge: u32) -> Result<Processed, Refusal> {
    let kind = sniff(bytes)?;
    let mut reader = ImageReader::new(Cursor::new(bytes));
    reader.set_format(match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Webp => ImageFormat::WebP,
    });
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_EDGE);
    limits.max_image_height = Some(MAX_EDGE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    picture.apply_orientation(orientation);
    let (width, height) = (picture.width(), picture.height());
    let thumbnail = thumbnail(&picture, thumbnail_edge)?;
    let bytes = strip(kind, bytes, orientation)?;
    Ok(Processed {
        kind,
        bytes,
        width,
        height,
        thumbnail,
    })
}

/// The type the bytes are, whatever they were called.
pub fn sniff(bytes: &[u8]) -> Result<Kind, Refusal> {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => Ok(Kind::Jpeg),
        Ok(ImageFormat::Png) => Ok(Kind::Png),
        Ok(ImageFormat::WebP) => Ok(Kind::Webp),
        _ if is_heic(bytes) => Err(Refusal::Heic),
        _ => Err(Refusal::NotAnImage),
    }
}

/// An ISO-BMFF file whose brand is one of HEIF's.
fn is_heic(bytes: &[u8]) -> bool {
    bytes.get(4..8) == Some(b"ftyp")
        && bytes.get(8..12).is_some_and(|brand| {
            [
                b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1",
            ]
            .iter()
            .any(|b| b.as_slice() == brand)
        })
}

fn unreadable(e: image::ImageError) -> Refusal {
    match e {
        image::ImageError::Limits(_) => Refusal::TooManyPixels,
        e => Refusal::Unreadable(e.to_string()),
    }
}

fn thumbnail(picture: &DynamicImage, edge: u32) -> Result<Vec<u8>, Refusal> {
    let small = picture.thumbnail(edge, edge).into_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .map_err(unreadable)?;
    Ok(out)
}

/// The photo's bytes with every metadata segment dropped but the orientation.
pub fn strip(kind: Kind, bytes: &[u8], orientation: Orientation) -> Result<Vec<u8>, Refusal> {
    let bytes = Bytes::copy_from_slice(bytes);
    let broken = |e: img_parts::Error| Refusal::Unreadable(e.to_string());
    let exif = (orientation != Orientation::NoTransforms).then(|| orientation_exif(orientation));
    let mut out = Vec::with_capacity(bytes.len());
    match kind {
        Kind::Jpeg => {
            let mut jpeg = Jpeg::from_bytes(bytes).map_err(broken)?;
            strip_jpeg(&mut jpeg);
            jpeg.set_exif(exif);
            jpeg.encoder().write_to(&mut out).map_err(io)?;
        }
        Kind::Png => {
            let mut png = Png::from_bytes(bytes).map_err(broken)?;
            png.chunks_mut().retain(|c| PNG_KEPT.contains(&c.kind()));
            png.set_exif(exif);
            png.encoder().write_to(&mut out).map_err(io)?;
        }
        Kind::Webp => {
            let mut webp = WebP::from_bytes(bytes).map_err(broken)?;
            webp.remove_chunks_by_id(*b"XMP ");
            // Also recomputes the extended header's flags for what is left.
            webp.set_exif(exif);
            webp.encoder().write_to(&mut out).map_err(io)?;
        }
    }
    Ok(out)
}

fn io(e: std::io::Error) -> Refusal {
    Refusal::Unreadable(e.to_string())
}

/// The PNG chunks that say how to draw the picture; text, time and EXIF chunks are not.
const PNG_KEPT: [[u8; 4]; 13] = [
    *b"IHDR", *b"PLTE", *b"IDAT", *b"IEND", *b"tRNS", *b"gAMA", *b"cHRM", *b"sRGB", *b"iCCP",
    *b"sBIT", *b"pHYs", *b"bKGD", *b"cICP",
];

const APP0: u8 = 0xE0;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
const SOS: u8 = 0xDA;

fn strip_jpeg(jpeg: &mut Jpeg) {
    use img_parts::jpeg::JpegSegment;
    jpeg.segments_mut().retain(|s| {
        let m = s.marker();
        match m {
            // JFIF, and Adobe's colour transform (needed to draw CMYK and some YCCK files).
            APP0 | APP14 => true,
            // Only the ICC profile; not the multi-picture index or FlashPix data.
            APP2 => s.contents().starts_with(b"ICC_PROFILE\0"),
            // Every other application segment (EXIF, XMP, IPTC, makers') and comments.
            0xE1..=0xEF | 0xFE => false,
            _ => true,
        }
    });
    // The picture ends at its end-of-image marker; what a phone appends after it goes.
    for s in jpeg.segments_mut().iter_mut() {
        if s.marker() == SOS && s.has_entropy() {
            let mut whole = Vec::new();
            let _ = s.clone().encoder().write_to(&mut whole);
            let rest = whole.get(s.len()..).unwrap_or_default();
            let end = end_of_image(rest);
            *s = JpegSegment::new_with_entropy(
                SOS,
                s.contents().clone(),
                Bytes::copy_from_slice(&rest[..end]),
            );
        }
    }
}

/// Where the picture that `scans` starts (just after the first scan's header) ends: just
/// after its end-of-image marker, walking the markers between progressive scans by their
/// lengths (a table's bytes may look like a marker), or at the end of the bytes.
pub fn end_of_image(scans: &[u8]) -> usize {
    let mut i = 0;
    while i + 1 < scans.len() {
        if scans[i] != 0xFF {
            i += 1;
            continue;
        }
        match scans[i + 1] {
            // A stuffed 0xFF, a fill byte, or a restart marker: still the picture.
            0x00 | 0xFF | 0xD0..=0xD7 => i += 1,
            0xD9 => return i + 2,
            _ => {
                // A segment between scans: skip it by its length.
                let len = scans
                    .get(i + 2..i + 4)
                    .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
                i += 2 + len.max(2);
            }
        }
    }
    scans.len()
}

/// A TIFF block holding only the orientation.
fn orientation_exif(orientation: Orientation) -> Bytes {
    use exif::{Field, In, Tag, Value};
    let field = Field {
        tag: Tag::Orientation,
        ifd_num: In::PRIMARY,
        value: Value::Short(vec![u16::from(orientation.to_exif())]),
    };
    let mut writer = exif::experimental::Writer::new();
    writer.push_field(&field);
    let mut out = Cursor::new(Vec::new());
    writer
        .write(&mut out, false)
        .expect("one short field always encodes");
    Bytes::from(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};
    use img_parts::jpeg::JpegSegment;
    use proptest::prelude::*;

    /// A 64 × 48 picture, different at every pixel.
    fn picture() -> RgbImage {
        RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
        })
    }

    fn jpeg_bytes() -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .encode_image(&picture())
            .unwrap();
        out
    }

    /// EXIF with a GPS position and the camera, rotated a quarter turn.
    fn revealing_exif() -> Vec<u8> {
        use exif::{Field, In, Rational, Tag, Value};
        let fields = [
            Field {
                tag: Tag::Orientation,
                ifd_num: In::PRIMARY,
                value: Value::Short(vec![6]),
            },
            Field {
                tag: Tag::Model,
                ifd_num: In::PRIMARY,
                value: Value::Ascii(vec![b"SECRET-PHONE".to_vec()]),
            },
            Field {
                tag: Tag::GPSLatitude,
                ifd_num: In::PRIMARY,
                value: Value::Rational(vec![
                    Rational { num: 35, denom: 1 },
                    Rational { num: 24, denom: 1 },
                    Rational {
                        num: 1234,
                        denom: 100,
                    },
                ]),
            },
        ];
        let mut w = exif::experimental::Writer::new();
        for f in &fields {
            w.push_field(f);
        }
        let mut out = Cursor::new(Vec::new());
        w.write(&mut out, false).unwrap();
        out.into_inner()
    }

    /// A phone's JPEG: EXIF with GPS, an XMP packet and a comment naming the place, and a
    /// second picture with its own EXIF appended after the end (as multi-picture files do).
    fn phone_jpeg(trailer: &[u8]) -> Vec<u8> {
        let mut jpeg = Jpeg::from_bytes(Bytes::from(jpeg_bytes())).unwrap();
        jpeg.set_exif(Some(Bytes::from(revealing_exif())));
        let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>SECRET-FLAT 8-2-301</x:xmpmeta>";
        jpeg.segments_mut().insert(
            1,
            JpegSegment::new_with_contents(0xE1, Bytes::from_static(xmp)),
        );
        jpeg.segments_mut().insert(
            1,
            JpegSegment::new_with_contents(0xFE, Bytes::from_static(b"SECRET-COMMENT")),
        );
        let mut out = Vec::new();
        jpeg.encoder().write_to(&mut out).unwrap();
        out.extend_from_slice(trailer);
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_phone_photo_loses_its_place_and_camera_but_stands_upright() {
        let mut trailer = jpeg_bytes();
        let mut second = Jpeg::from_bytes(Bytes::from(trailer.clone())).unwrap();
        second.set_exif(Some(Bytes::from(revealing_exif())));
        trailer.clear();
        second.encoder().write_to(&mut trailer).unwrap();
        let taken = phone_jpeg(&trailer);
        assert!(contains(&taken, b"SECRET-PHONE"));

        let p = process(&taken, 32).unwrap();
        assert_eq!(p.kind, Kind::Jpeg);
        for secret in [&b"SECRET-PHONE"[..], b"SECRET-FLAT", b"SECRET-COMMENT"] {
            assert!(
                !contains(&p.bytes, secret),
                "{}",
                String::from_utf8_lossy(secret)
            );
        }
        // Only the orientation is left of the EXIF, and no GPS field.
        let exif = exif::Reader::new()
            .read_from_container(&mut Cursor::new(&p.bytes))
            .unwrap();
        let tags: Vec<_> = exif.fields().map(|f| f.tag).collect();
        assert_eq!(tags, [exif::Tag::Orientation]);
        // Upright: a quarter turn makes 64 × 48 into 48 × 64, and the thumbnail follows.
        assert_eq!((p.width, p.height), (48, 64));
        let thumb = image::load_from_memory(&p.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (24, 32));
        // The picture itself is untouched: the same pixels as the camera's.
        let before = image::load_from_memory(&jpeg_bytes()).unwrap().to_rgb8();
        let after = image::load_from_memory(&p.bytes).unwrap().to_rgb8();
        assert_eq!(before, after);
        // The second picture went with its EXIF.
        assert!(p.bytes.len() < taken.len() - trailer.len() + 64);
    }

    #[test]
    fn a_png_keeps_its_pixels_and_loses_its_text() {
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(picture().as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
            .unwrap();
        let mut png = Png::from_bytes(Bytes::from(out)).unwrap();
        let text = img_parts::png::PngChunk::new(
            *b"tEXt",
            Bytes::from_static(b"Comment\0SECRET-GPS 35.4,116.5"),
        );
        let at = png.chunks().len() - 1;
        png.chunks_mut().insert(at, text);
        let mut taken = Vec::new();
        png.encoder().write_to(&mut taken).unwrap();
        assert!(contains(&taken, b"SECRET-GPS"));
        let p = process(&taken, 320).unwrap();
        assert_eq!(p.kind, Kind::Png);
        assert!(!contains(&p.bytes, b"SECRET-GPS"));
        assert_eq!((p.width, p.height), (64, 48));
        let after = image::load_from_memory(&p.bytes).unwrap().to_rgb8();
        assert_eq!(after, picture());
    }

    #[test]
    fn a_webp_is_taken() {
        let mut out = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .write_image(picture().as_raw(), 64, 48, image::ExtendedColorType::Rgb8)
            .unwrap();
        let p = process(&out, 320).unwrap();
        assert_eq!(p.kind, Kind::Webp);
        assert_eq!(
            image::load_from_memory(&p.bytes).unwrap().to_rgb8(),
            picture()
        );
    }

    #[test]
    fn what_is_not_a_picture_is_refused_whatever_it_is_called() {
        assert_eq!(
            process(b"#!/bin/sh\nrm -rf /\n", 320).unwrap_err(),
            Refusal::NotAnImage
        );
        assert_eq!(process(b"", 320).unwrap_err(), Refusal::NotAnImage);
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(process(heic, 320).unwrap_err(), Refusal::Heic);
        // A JPEG's start with nothing after it.
        let truncated = &jpeg_bytes()[..200];
        assert!(matches!(
            process(truncated, 320).unwrap_err(),
            Refusal::Unreadable(_)
        ));
    }

    #[test]
    fn a_small_file_claiming_a_huge_picture_is_refused_before_decoding() {
        // A PNG header saying 100,000 × 100,000 pixels.
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&[0, 0, 0], 1, 1, image::ExtendedColorType::Rgb8)
            .unwrap();
        let mut png = Png::from_bytes(Bytes::from(out)).unwrap();
        let mut ihdr = png.chunks()[0].contents().to_vec();
        ihdr[0..4].copy_from_slice(&100_000u32.to_be_bytes());
        ihdr[4..8].copy_from_slice(&100_000u32.to_be_bytes());
        png.chunks_mut()[0] = img_parts::png::PngChunk::new(*b"IHDR", Bytes::from(ihdr));
        let mut bomb = Vec::new();
        png.encoder().write_to(&mut bomb).unwrap();
        assert_eq!(process(&bomb, 320).unwrap_err(), Refusal::TooManyPixels);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Whatever a phone appends, and whatever its comment says, the stored photo has the
        /// camera's pixels and none of the appended bytes.
        #[test]
        fn stripping_keeps_the_pixels_and_drops_what_follows(
            trailer in proptest::collection::vec(any::<u8>(), 0..400),
        ) {
            let mut tail = b"SECRET-TAIL".to_vec();
            tail.extend_from_slice(&trailer);
            let taken = phone_jpeg(&tail);
            let p = process(&taken, 64).unwrap();
            prop_assert!(!contains(&p.bytes, b"SECRET-TAIL"));
            let before = image::load_from_memory(&jpeg_bytes()).unwrap().to_rgb8();
            let after = image::load_from_memory(&p.bytes).unwrap().to_rgb8();
            prop_assert_eq!(before, after);
        }
    }
}
