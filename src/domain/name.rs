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

/// The longest search, in characters: a full name is at most 100.
pub const MAX_SEARCH_CHARS: usize = 200;
/// The most words a search may have: each is one more condition in the query (unbounded, a
/// long enough search overflowed the SQL builder's stack), and Vietnamese names have few.
pub const MAX_SEARCH_WORDS: usize = 8;

/// The folded words of a search: each must match the start of a word of the name. Refuses a
/// search longer than [`MAX_SEARCH_CHARS`] or with more than [`MAX_SEARCH_WORDS`] words,
/// before anything is built from it.
pub fn search_terms(query: &str) -> Result<Vec<String>, String> {
    if query.chars().count() > MAX_SEARCH_CHARS {
        return Err(format!(
            "search must be at most {MAX_SEARCH_CHARS} characters"
        ));
    }
    let terms: Vec<String> = fold_name(query)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if terms.len() > MAX_SEARCH_WORDS {
        return Err(format!("search must be at most {MAX_SEARCH_WORDS} words"));
    }
    Ok(terms)
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
        assert_eq!(search_terms("ngu  VĂ"), Ok(vec!["ngu".into(), "va".into()]));
        assert_eq!(search_terms("%_'"), Ok(vec![]));
    }

    #[test]
    fn searches_are_bounded_in_characters_and_words() {
        assert_eq!(search_terms(&"a ".repeat(8)).map(|t| t.len()), Ok(8));
        assert!(search_terms(&"a ".repeat(9)).is_err());
        // Folding splits on punctuation, so words are counted after it.
        assert!(search_terms("a-b-c-d-e-f-g-h-i").is_err());
        assert!(search_terms(&"ễ".repeat(MAX_SEARCH_CHARS)).is_ok());
        assert!(search_terms(&"a".repeat(MAX_SEARCH_CHARS + 1)).is_err());
    }
}
