//! Keyboard behaviour of rating scales (the WAI-ARIA radio group pattern),
//! kept apart from the DOM so it is tested on the host.

/// The value a key press on the radio showing `focused` moves to, for a
/// scale `min..=max`: arrows move by one and wrap around, Home and End jump
/// to the ends. `None` for keys the scale does not handle (Space and Enter
/// are handled by the button's own click).
pub fn scale_target(key: &str, focused: i64, min: i64, max: i64) -> Option<i64> {
    match key {
        "ArrowRight" | "ArrowDown" | "Right" | "Down" => {
            Some(if focused >= max { min } else { focused + 1 })
        }
        "ArrowLeft" | "ArrowUp" | "Left" | "Up" => {
            Some(if focused <= min { max } else { focused - 1 })
        }
        "Home" => Some(min),
        "End" => Some(max),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::scale_target;

    #[test]
    fn arrows_move_by_one_and_wrap() {
        assert_eq!(scale_target("ArrowRight", 3, 0, 10), Some(4));
        assert_eq!(scale_target("ArrowDown", 10, 0, 10), Some(0));
        assert_eq!(scale_target("ArrowLeft", 1, 1, 5), Some(5));
        assert_eq!(scale_target("ArrowUp", 4, 1, 5), Some(3));
    }

    #[test]
    fn home_and_end_jump_to_the_ends() {
        assert_eq!(scale_target("Home", 4, 1, 7), Some(1));
        assert_eq!(scale_target("End", 4, 1, 7), Some(7));
    }

    #[test]
    fn other_keys_are_left_alone() {
        assert_eq!(scale_target("Tab", 4, 1, 7), None);
        assert_eq!(scale_target(" ", 4, 1, 7), None);
    }
}
