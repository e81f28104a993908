//! The shape signature: one 64-bit hash of a record's format, field names and
//! discriminating values ([`crate::features::signature`]). Records with equal signatures
//! get the same decision, an analyst's correction applies to every record of its shape, and
//! the stored row keeps it as a number.
//!
//! One type end to end. In human-readable formats (JSON: the CLI's decisions, the review
//! API) it is 16 lower-case hex digits in a string, since a JavaScript number loses the bits
//! above 2^53; in binary formats (the KB artifact) it is the bare `u64`.

use std::fmt;
use std::str::FromStr;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signature(pub u64);

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a shape signature is 1 to 16 hexadecimal digits")]
pub struct BadSignature;

impl FromStr for Signature {
    type Err = BadSignature;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BadSignature);
        }
        u64::from_str_radix(s, 16).map(Signature).map_err(|_| BadSignature)
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_u64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            s.parse().map_err(D::Error::custom)
        } else {
            u64::deserialize(d).map(Signature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_in_json_number_in_binary() {
        let s = Signature(0xfae1_348e_1c03_b672);
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"fae1348e1c03b672\"");
        assert_eq!(serde_json::from_str::<Signature>("\"fae1348e1c03b672\"").unwrap(), s);
        // Above 2^53: a JSON number would lose these bits.
        let big = Signature(u64::MAX - 1);
        assert_eq!(
            serde_json::from_str::<Signature>(&serde_json::to_string(&big).unwrap()).unwrap(),
            big
        );
        let bin = bincode::serialize(&Some(s)).unwrap();
        assert_eq!(bin, bincode::serialize(&Some(s.0)).unwrap(), "the KB artifact's layout");
        assert_eq!(bincode::deserialize::<Option<Signature>>(&bin).unwrap(), Some(s));
        assert_eq!(Signature(7).to_string(), "0000000000000007");
    }

    #[test]
    fn bad_text_is_an_error_not_zero() {
        for bad in ["", "xyz", "12345678901234567", "-1", "0x12", " 12"] {
            assert_eq!(bad.parse::<Signature>(), Err(BadSignature), "{bad:?}");
            assert!(serde_json::from_str::<Signature>(&format!("\"{bad}\"")).is_err());
        }
        assert!(serde_json::from_str::<Signature>("12").is_err(), "numbers are refused");
    }
}
