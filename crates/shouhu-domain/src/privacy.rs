//! Masking of sensitive fields for users who have not asked to reveal them (DESIGN.md §3).
//!
//! ID numbers and phones mask themselves (`IdCardNo::masked`, `PhoneNo::masked`); free-text
//! fields are masked here.

/// Characters of an address that stay visible: about the province, city and county
/// (贵州省毕节市…), which says where a child is without saying which house.
const ADDRESS_KEEP: usize = 6;
const MASK: &str = "****";

/// Keeps the first six characters and replaces the rest with `****`. A short address never
/// shows more than half of itself, so "某村5号" does not go out whole. Empty stays empty.
pub fn mask_address(address: &str) -> String {
    let address = address.trim();
    let count = address.chars().count();
    if count == 0 {
        return String::new();
    }
    let keep = ADDRESS_KEEP.min(count / 2);
    let mut masked: String = address.chars().take(keep).collect();
    masked.push_str(MASK);
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            mask_address(" 贵州省毕节市七星关区碧阳街道洪山村3组12号 "),
            "贵州省毕节市****"
        );
        assert_eq!(mask_address("七星关区洪山村三组十二号"), "七星关区洪山****");
        assert_eq!(mask_address("洪山村3组"), "洪山****");
        assert_eq!(mask_address("3组"), "3****");
        assert_eq!(mask_address("村"), "****");
        assert_eq!(mask_address("  "), "");
    }
}
