//! JavaScript semantics the port has to reproduce exactly: how JS turns
//! strings into numbers and numbers into strings, its truthiness and its
//! `Math.min`. One place, so each rule is written and tested once.

/// JS `Number(string)` for the strings a header can hold (ASCII).
pub(crate) fn number_from_string(text: &str) -> f64 {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}');
    if text.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = text.strip_prefix(prefix) {
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return f64::NAN;
            }
            return digits.chars().fold(0.0, |acc, c| {
                acc * radix as f64 + c.to_digit(radix).unwrap_or(0) as f64
            });
        }
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned == "Infinity" {
        return if text.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    // Rust also reads `inf` and `nan`, which JS does not: allow only the JS
    // decimal literal's characters.
    let decimal = unsigned
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if !decimal {
        return f64::NAN;
    }
    text.parse().unwrap_or(f64::NAN)
}

/// `Number.prototype.toString()` for a finite or infinite double.
pub(crate) fn number_to_string(number: f64) -> String {
    if number.is_nan() {
        return "NaN".to_string();
    }
    if number == 0.0 {
        return "0".to_string(); // JS prints -0 as "0" too.
    }
    if number < 0.0 {
        return format!("-{}", number_to_string(-number));
    }
    if number.is_infinite() {
        return "Infinity".to_string();
    }
    // `{:e}` gives the shortest digits that round-trip, as JS requires.
    let scientific = format!("{number:e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return scientific;
    };
    format_js_digits(&mantissa.replace('.', ""), exponent + 1)
}

/// ECMA-262 Number::toString: the value is 0.`digits` × 10^`point`.
fn format_js_digits(digits: &str, point: i32) -> String {
    let digit_count = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if digit_count <= point && point <= 21 {
        let zeros = (point - digit_count).unsigned_abs() as usize;
        return format!("{digits}{}", "0".repeat(zeros));
    }
    if 0 < point && point <= 21 {
        if let Some((whole, fraction)) = digits.split_at_checked(point.unsigned_abs() as usize) {
            return format!("{whole}.{fraction}");
        }
    }
    if -6 < point && point <= 0 {
        return format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize));
    }
    let sign = if point > 0 { '+' } else { '-' };
    let exponent = (point - 1).unsigned_abs();
    match digits.split_at_checked(1) {
        Some((first, rest)) if !rest.is_empty() => format!("{first}.{rest}e{sign}{exponent}"),
        _ => format!("{digits}e{sign}{exponent}"),
    }
}

/// JavaScript truthiness of an optional number.
pub(crate) fn truthy(value: Option<f64>) -> Option<f64> {
    value.filter(|number| *number != 0.0 && !number.is_nan())
}

/// `Math.min` with JavaScript's NaN rule.
pub(crate) fn min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_from_string_follows_js() {
        assert_eq!(number_from_string(" 12 "), 12.0);
        assert_eq!(number_from_string("1e3"), 1000.0);
        assert_eq!(number_from_string("0b101"), 5.0);
        assert_eq!(number_from_string("0o17"), 15.0);
        assert_eq!(number_from_string("-Infinity"), f64::NEG_INFINITY);
        assert!(number_from_string("0x").is_nan());
        assert!(number_from_string("-0x10").is_nan());
        assert!(number_from_string("12px").is_nan());
        assert!(number_from_string("NaN").is_nan());
    }

    #[test]
    fn formats_numbers_like_javascript() {
        for (number, expected) in [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-15.0, "-15"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (123456789.125, "123456789.125"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(number_to_string(number), expected, "{number:e}");
        }
    }

    #[test]
    fn lengths_print_like_javascript_numbers() {
        assert_eq!(number_to_string(126.0), "126");
        assert_eq!(number_to_string(65535.0), "65535");
        assert_eq!(
            number_to_string((1_u64 << 63) as f64),
            "9223372036854776000"
        );
        assert_eq!(number_to_string(u64::MAX as f64), "18446744073709552000");
        assert_eq!(
            number_to_string(((1_u64 << 53) + 1) as f64),
            "9007199254740992"
        );
    }

    #[test]
    fn integers_print_as_rust_prints_their_double() {
        // What the frame-length message used before (`format!("{}", n as f64)`).
        let mut value: u64 = 1;
        while value < u64::MAX / 3 {
            for n in [value - 1, value, value + 1, value * 3 - 1] {
                assert_eq!(number_to_string(n as f64), format!("{}", n as f64), "{n}");
            }
            value = value * 3 + 7;
        }
        assert_eq!(
            number_to_string(u64::MAX as f64),
            format!("{}", u64::MAX as f64)
        );
    }

    #[test]
    fn truthy_drops_zero_and_nan() {
        assert_eq!(truthy(None), None);
        assert_eq!(truthy(Some(0.0)), None);
        assert_eq!(truthy(Some(-0.0)), None);
        assert!(truthy(Some(f64::NAN)).is_none());
        assert_eq!(truthy(Some(9.0)), Some(9.0));
    }

    #[test]
    fn min_is_nan_if_either_is() {
        assert_eq!(min(9.0, 15.0), 9.0);
        assert!(min(f64::NAN, 15.0).is_nan());
        assert!(min(9.0, f64::NAN).is_nan());
    }
}
