//! Folding Vietnamese names for search: `Nguyễn Văn Đức` → `nguyen van duc`.

use deunicode::deunicode;
use unicode_normalization::UnicodeNormalization;

/// Lower-case ASCII with diacritics removed (đ/Đ become d) and runs of anything that is not a
/// letter or digit collapsed to one space. Stored beside every name and applied to search input,
/// so both sides fold the same way.
pub fn fold_name(name: &str) -> String {
    let ascii = deunicode(&name.nfc().collect::<String>()).to_lowercase();
    ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The folded words of a search: each must match the start of a word of the name.
pub fn search_terms(query: &str) -> Vec<String> {
    fold_name(query)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_diacritics_and_d_with_stroke() {
        assert_eq!(fold_name("Nguyễn Văn Đức"), "nguyen van duc");
        assert_eq!(
            fold_name("  TRẦN   thị  Ánh-Nguyệt "),
            "tran thi anh nguyet"
        );
        // Decomposed input (NFD) folds the same as composed.
        assert_eq!(fold_name("Nguye\u{302}\u{303}n"), "nguyen");
    }

    #[test]
    fn search_terms_are_folded_words() {
        assert_eq!(search_terms("ngu  VĂ"), vec!["ngu", "va"]);
        assert!(search_terms("%_'").is_empty());
    }
}
