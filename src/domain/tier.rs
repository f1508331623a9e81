//! The tiers of the "3+3+N" pattern.

/// Where a region sits in the "3+3+N" pattern. Tiers are data: a planner
/// re-tiers a region by editing `regions.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Core,
    Regional,
    Frontier,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Core, Tier::Regional, Tier::Frontier];
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Core => "core",
            Tier::Regional => "regional",
            Tier::Frontier => "frontier",
        }
    }
    pub fn parse(s: &str) -> Option<Tier> {
        match s {
            "core" => Some(Tier::Core),
            "regional" => Some(Tier::Regional),
            "frontier" => Some(Tier::Frontier),
            _ => None,
        }
    }
}
