//! The schema of every input table, as data. The loader checks tables against
//! it and `dcsite schema` renders the documentation in `data/README.md` from it,
//! so the two cannot drift apart.

/// The type of a column's cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// Free text.
    Text,
    /// An identifier: non-empty, no surrounding spaces; unique when it is the table key.
    Id,
    /// A finite real number.
    Real,
    /// A whole number.
    Integer,
    /// One of a fixed set of words.
    Enum(&'static [&'static str]),
}

impl Kind {
    pub fn describe(&self) -> String {
        match self {
            Kind::Text => "text".into(),
            Kind::Id => "identifier".into(),
            Kind::Real => "number".into(),
            Kind::Integer => "whole number".into(),
            Kind::Enum(words) => format!("one of {}", words.join(" / ")),
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub unit: &'static str,
    pub required: bool,
    /// Smallest allowed value (numbers only).
    pub min: Option<f64>,
    /// Largest allowed value (numbers only).
    pub max: Option<f64>,
    /// `min` itself is not allowed (the range is open at the bottom).
    pub min_exclusive: bool,
    /// `max` itself is not allowed (the range is open at the top).
    pub max_exclusive: bool,
    pub description: &'static str,
}

/// A number for a message or the documentation: `1e7` rather than `10000000`.
pub fn num(x: f64) -> String {
    if x.abs() >= 1e6 && x.fract() == 0.0 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

impl Column {
    /// The same column with its lower bound excluded (`> min`).
    pub const fn above_min(mut self) -> Column {
        self.min_exclusive = true;
        self
    }
    /// The same column with its upper bound excluded (`< max`).
    pub const fn below_max(mut self) -> Column {
        self.max_exclusive = true;
        self
    }
    /// The allowed range as the documentation shows it, e.g. `0 to 1`,
    /// `> 0.1, ≤ 200`, `≥ 0`.
    pub fn range_text(&self) -> String {
        let lo = self.min.map(|a| {
            if self.min_exclusive {
                format!("> {}", num(a))
            } else {
                format!("≥ {}", num(a))
            }
        });
        let hi = self.max.map(|b| {
            if self.max_exclusive {
                format!("< {}", num(b))
            } else {
                format!("≤ {}", num(b))
            }
        });
        match (lo, hi) {
            (Some(_), Some(_)) if !self.min_exclusive && !self.max_exclusive => format!(
                "{} to {}",
                num(self.min.unwrap_or_default()),
                num(self.max.unwrap_or_default())
            ),
            (Some(a), Some(b)) => format!("{a}, {b}"),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => String::new(),
        }
    }
    /// The allowed range in words, e.g. `above 0.1 and at most 200`.
    fn range_words(&self) -> String {
        let lo = self.min.map(|a| {
            if self.min_exclusive {
                format!("above {}", num(a))
            } else {
                format!("at least {}", num(a))
            }
        });
        let hi = self.max.map(|b| {
            if self.max_exclusive {
                format!("below {}", num(b))
            } else {
                format!("at most {}", num(b))
            }
        });
        match (lo, hi) {
            (Some(_), Some(_)) if !self.min_exclusive && !self.max_exclusive => format!(
                "from {} to {}",
                num(self.min.unwrap_or_default()),
                num(self.max.unwrap_or_default())
            ),
            (Some(a), Some(b)) => format!("{a} and {b}"),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => String::new(),
        }
    }
    /// Whether `x` is a finite number within the column's range (and whole
    /// for an integer column); `Err(expected)` otherwise.
    pub fn check_number(&self, x: f64) -> Result<(), String> {
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        let range = self.range_words();
        let expected = if range.is_empty() {
            format!("a finite {}{unit}", self.kind.describe())
        } else {
            format!("a finite {} {range}{unit}", self.kind.describe())
        };
        if !x.is_finite() {
            return Err(expected);
        }
        if self.kind == Kind::Integer && x.fract() != 0.0 {
            return Err(expected);
        }
        let below = self
            .min
            .is_some_and(|m| x < m || (self.min_exclusive && x == m));
        let above = self
            .max
            .is_some_and(|m| x > m || (self.max_exclusive && x == m));
        if below || above {
            return Err(expected);
        }
        Ok(())
    }
}

/// One input table.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub one_row_per: &'static str,
    /// The column whose values must be unique, if any.
    pub key: Option<&'static str>,
    pub columns: &'static [Column],
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

const fn col(
    name: &'static str,
    kind: Kind,
    unit: &'static str,
    required: bool,
    min: Option<f64>,
    max: Option<f64>,
    description: &'static str,
) -> Column {
    Column {
        name,
        kind,
        unit,
        required,
        min,
        max,
        min_exclusive: false,
        max_exclusive: false,
        description,
    }
}

const SOURCE: Column = col(
    "source",
    Kind::Text,
    "",
    false,
    None,
    None,
    "Where the figures come from: a quality tag (A, B, C, R, E) and a URL or facts-sheet section, or E: and the reasoning of an assumption",
);

pub const TIERS: &[&str] = &["core", "regional", "frontier"];
pub const STATUSES: &[&str] = &["candidate", "existing", "required", "excluded"];
pub const ORIGINS: &[&str] = &["imported", "domestic"];
pub const APPLIES_TO: &[&str] = &["all", "imported", "domestic"];
pub const QUALITY: &[&str] = &["A", "B", "C", "E", "R"];

pub const REGIONS: Table = Table {
    name: "regions",
    one_row_per: "planning region of the 3+3+N pattern",
    key: Some("region_id"),
    columns: &[
        col(
            "region_id",
            Kind::Id,
            "",
            true,
            None,
            None,
            "Region identifier",
        ),
        col("name_en", Kind::Text, "", true, None, None, "English name"),
        col("name_zh", Kind::Text, "", true, None, None, "Chinese name"),
        col(
            "tier",
            Kind::Enum(TIERS),
            "",
            true,
            None,
            None,
            "3+3+N tier: core city cluster, regional centre or frontier (N)",
        ),
        col(
            "power_quota_mw",
            Kind::Real,
            "MW (facility)",
            true,
            Some(0.0),
            Some(1e6),
            "Grid power one provider may add in the region, facility MW (IT × PUE)",
        ),
        col(
            "energy_quota_tce",
            Kind::Real,
            "tce/year",
            true,
            Some(0.0),
            Some(1e9),
            "Annual energy-use quota (能耗指标), tonnes of standard coal equivalent",
        ),
        col(
            "pue_cap",
            Kind::Real,
            "",
            true,
            Some(1.0),
            Some(3.0),
            "Highest design PUE allowed for a new hall in the region",
        ),
        col(
            "green_share",
            Kind::Real,
            "share",
            true,
            Some(0.0),
            Some(1.0),
            "Share of energy from renewables, exempt from the energy-use quota",
        ),
        SOURCE,
    ],
};

pub const SITES: Table = Table {
    name: "sites",
    one_row_per: "candidate site (campus)",
    key: Some("site_id"),
    columns: &[
        col("site_id", Kind::Id, "", true, None, None, "Site identifier"),
        col("name_en", Kind::Text, "", true, None, None, "English name"),
        col("name_zh", Kind::Text, "", true, None, None, "Chinese name"),
        col("region_id", Kind::Id, "", true, None, None, "Region (key of regions)"),
        col("province", Kind::Id, "", true, None, None, "Electricity price zone (key of electricity_prices)"),
        // No range here: in a projected crs lat/lon hold northing/easting. The
        // loader checks -90..90 / -180..180 for geographic coordinate systems.
        col("lat", Kind::Real, "degrees (metres in a projected crs)", true, None, None, "Latitude (-90 to 90) in the site's coordinate system; the northing for a projected crs"),
        col("lon", Kind::Real, "degrees (metres in a projected crs)", true, None, None, "Longitude (-180 to 180) in the site's coordinate system; the easting for a projected crs"),
        col("crs", Kind::Text, "", false, None, None, "Coordinate system of lat/lon, converted to WGS 84 on loading: any code PROJ knows (EPSG:4490 CGCS2000; EPSG:4513-4533 / 4534-4554 CGCS2000 Gauss-Krüger, lat = northing, lon = easting; EPSG:3857; a PROJ string), or GCJ-02 (Amap, Tencent) or BD-09 (Baidu); empty means the scenario's input_crs, else WGS 84 (EPSG:4326)"),
        col("mean_temp_c", Kind::Real, "°C", true, Some(-30.0), Some(40.0), "Annual mean air temperature"),
        col("max_it_mw", Kind::Real, "MW (IT)", true, Some(0.0), Some(1e5), "IT power one provider can place at the site"),
        col("fixed_cost_cny", Kind::Real, "CNY", true, Some(0.0), Some(1e12), "One-off cost of opening the site (land, grid connection, works)"),
        col("grid_lead_months", Kind::Real, "months", true, Some(0.0), Some(240.0), "Months until the grid connection is ready"),
        col("status", Kind::Enum(STATUSES), "", true, None, None, "candidate (may be built), existing or required (must be built), excluded (never built)"),
        col("ready_it_mw", Kind::Real, "MW (IT)", false, Some(0.0), Some(1e5), "IT MW already in service at month 0 (an existing hall), usable by phased deliveries (`[[deliveries]]`) before any new hall is ready; empty: all of max_it_mw for an existing site, none for the others"),
        col("coord_quality", Kind::Enum(QUALITY), "", false, None, None, "Quality tag of the coordinates"),
        col("temp_quality", Kind::Enum(QUALITY), "", false, None, None, "Quality tag of the temperature"),
        SOURCE,
    ],
};

pub const ELECTRICITY_PRICES: Table = Table {
    name: "electricity_prices",
    one_row_per: "electricity price zone (province or part of one)",
    key: Some("province"),
    columns: &[
        col(
            "province",
            Kind::Id,
            "",
            true,
            None,
            None,
            "Price zone identifier",
        ),
        col("name_en", Kind::Text, "", false, None, None, "English name"),
        col(
            "price_cny_per_kwh",
            Kind::Real,
            "CNY/kWh",
            true,
            Some(0.0),
            Some(10.0),
            "Central delivered price for a large data-centre load",
        )
        .above_min(),
        col(
            "low",
            Kind::Real,
            "CNY/kWh",
            true,
            Some(0.0),
            Some(10.0),
            "Low end of the plausible range",
        )
        .above_min(),
        col(
            "high",
            Kind::Real,
            "CNY/kWh",
            true,
            Some(0.0),
            Some(10.0),
            "High end of the plausible range",
        )
        .above_min(),
        SOURCE,
    ],
};

pub const SUBSIDIES: Table = Table {
    name: "subsidies",
    one_row_per: "subsidy programme in a scenario",
    key: None,
    columns: &[
        col("scenario", Kind::Id, "", true, None, None, "Subsidy scenario the programme belongs to"),
        col("programme_id", Kind::Id, "", true, None, None, "Programme identifier, unique within a scenario"),
        col("region_id", Kind::Id, "", false, None, None, "Region whose sites the programme covers"),
        col("site_id", Kind::Id, "", false, None, None, "Single site the programme covers (instead of a region)"),
        col("kind", Kind::Enum(&crate::domain::SubsidyKind::NAMES), "", true, None, None, "electricity_cny_per_kwh (annual), electricity_share (annual), capex_share (one-off), per_card_cny (one-off)"),
        col("value", Kind::Real, "CNY/kWh, share or CNY/card", true, Some(0.0), Some(1e7), "Rate of the programme in the unit of its kind; shares lie in [0, 1], CNY/kWh at most 10"),
        col("cap_cny", Kind::Real, "CNY", false, Some(0.0), Some(1e13), "Cap: per year for annual kinds, in total for one-off kinds; empty means no cap"),
        col("applies_to", Kind::Enum(APPLIES_TO), "", true, None, None, "Which accelerators the programme pays for"),
        SOURCE,
    ],
};

pub const DEMAND: Table = Table {
    name: "demand",
    one_row_per: "city that consumes inference",
    key: Some("node_id"),
    columns: &[
        col("node_id", Kind::Id, "", true, None, None, "City identifier"),
        col("name_en", Kind::Text, "", true, None, None, "English name"),
        col("name_zh", Kind::Text, "", false, None, None, "Chinese name"),
        col(
            "province",
            Kind::Text,
            "",
            false,
            None,
            None,
            "Province (free text)",
        ),
        col(
            "lat",
            Kind::Real,
            "degrees",
            true,
            Some(-90.0),
            Some(90.0),
            "Latitude, WGS 84",
        ),
        col(
            "lon",
            Kind::Real,
            "degrees",
            true,
            Some(-180.0),
            Some(180.0),
            "Longitude, WGS 84",
        ),
        col(
            "weight",
            Kind::Real,
            "",
            true,
            Some(0.0),
            Some(1e6),
            "Relative size (GDP); inference demand is shared out by weight",
        ),
        col(
            "cards",
            Kind::Real,
            "H200-eq cards",
            false,
            Some(0.0),
            Some(1e9),
            "Fixed inference demand; when set it replaces the weight share",
        ),
        col(
            "max_rtt_ms",
            Kind::Real,
            "ms",
            true,
            Some(0.0),
            Some(1000.0),
            "Round-trip time budget to the serving site",
        )
        .above_min(),
        SOURCE,
    ],
};

pub const ACCELERATORS: Table = Table {
    name: "accelerators",
    one_row_per: "accelerator type",
    key: Some("accel_id"),
    columns: &[
        col(
            "accel_id",
            Kind::Id,
            "",
            true,
            None,
            None,
            "Accelerator identifier",
        ),
        col("name", Kind::Text, "", true, None, None, "Product name"),
        col(
            "origin",
            Kind::Enum(ORIGINS),
            "",
            true,
            None,
            None,
            "imported or domestic (dual track)",
        ),
        col(
            "cards_per_server",
            Kind::Integer,
            "cards",
            true,
            Some(1.0),
            Some(64.0),
            "Cards in one server",
        ),
        col(
            "server_kw",
            Kind::Real,
            "kW",
            true,
            Some(0.1),
            Some(200.0),
            "Nameplate input power of one server",
        )
        .above_min(),
        col(
            "rack_kw",
            Kind::Real,
            "kW",
            true,
            Some(0.1),
            Some(1000.0),
            "Rack density this accelerator is designed for (its densest rack); it holds rack_kw / server_kw servers, rounded",
        )
        .above_min(),
        col(
            "min_servers_per_rack",
            Kind::Integer,
            "servers",
            false,
            Some(1.0),
            Some(64.0),
            "Fewest servers per rack it may be deployed at, at most those of a rack at rack_kw; a rack of n servers draws rack_kw × n / (servers at rack_kw). An option takes the densest rack its cooling's max_rack_kw allows, and pays capex_cny_per_rack for every extra rack. Empty: only rack_kw (no lower density)",
        ),
        col(
            "price_cny_per_card",
            Kind::Real,
            "CNY",
            true,
            Some(0.0),
            Some(1e7),
            "Price of one card",
        )
        .above_min(),
        col(
            "server_cost_cny",
            Kind::Real,
            "CNY",
            true,
            Some(0.0),
            Some(1e8),
            "Cost of one server beyond its cards",
        ),
        col(
            "levy_share",
            Kind::Real,
            "share",
            true,
            Some(0.0),
            Some(1.0),
            "Levy on the card price (the 25 % US export levy for H200)",
        ),
        col(
            "perf_h200_eq",
            Kind::Real,
            "H200-eq",
            true,
            Some(0.0),
            Some(100.0),
            "Performance of one card relative to one H200",
        )
        .above_min(),
        col(
            "price_low",
            Kind::Real,
            "CNY",
            false,
            Some(0.0),
            Some(1e7),
            "Low end of the plausible card price (a sweep draws between price_low and price_high with `from_columns`); empty: no range",
        )
        .above_min(),
        col(
            "price_high",
            Kind::Real,
            "CNY",
            false,
            Some(0.0),
            Some(1e7),
            "High end of the plausible card price",
        )
        .above_min(),
        col(
            "perf_low",
            Kind::Real,
            "H200-eq",
            false,
            Some(0.0),
            Some(100.0),
            "Low end of the plausible performance (a sweep draws between perf_low and perf_high); empty: no range",
        )
        .above_min(),
        col(
            "perf_high",
            Kind::Real,
            "H200-eq",
            false,
            Some(0.0),
            Some(100.0),
            "High end of the plausible performance",
        )
        .above_min(),
        SOURCE,
    ],
};

pub const COOLING: Table = Table {
    name: "cooling",
    one_row_per: "cooling technology",
    key: Some("cooling_id"),
    columns: &[
        col(
            "cooling_id",
            Kind::Id,
            "",
            true,
            None,
            None,
            "Cooling identifier",
        ),
        col("name", Kind::Text, "", true, None, None, "Name"),
        col(
            "pue_base",
            Kind::Real,
            "",
            true,
            Some(1.0),
            Some(3.0),
            "PUE at or below the reference temperature",
        ),
        col(
            "pue_per_deg_c",
            Kind::Real,
            "1/°C",
            true,
            Some(0.0),
            Some(0.5),
            "PUE added per °C of annual mean temperature above the reference",
        ),
        col(
            "ref_temp_c",
            Kind::Real,
            "°C",
            true,
            Some(-30.0),
            Some(40.0),
            "Reference temperature",
        ),
        col(
            "capex_cny_per_mw_it",
            Kind::Real,
            "CNY/MW",
            true,
            Some(0.0),
            Some(1e10),
            "Facility capital cost per MW of IT",
        ),
        col(
            "lead_months",
            Kind::Real,
            "months",
            true,
            Some(0.0),
            Some(240.0),
            "Build lead time of a hall",
        ),
        col(
            "max_rack_kw",
            Kind::Real,
            "kW",
            true,
            Some(0.0),
            Some(1000.0),
            "Highest rack density the technology can cool",
        )
        .above_min(),
        col(
            "capex_cny_per_rack",
            Kind::Real,
            "CNY/rack",
            false,
            Some(0.0),
            Some(1e8),
            "Facility cost of one rack position (white space, cabinet, PDUs, containment, cabling), added for every rack beyond those an accelerator needs at its rack_kw, when it is deployed at a lower density; empty means 0",
        ),
        col(
            "wue_l_per_kwh",
            Kind::Real,
            "L/kWh",
            true,
            Some(0.0),
            Some(100.0),
            "Water use per kWh of IT energy",
        ),
        col(
            "opex_cny_per_mw_it_year",
            Kind::Real,
            "CNY/MW/year",
            true,
            Some(0.0),
            Some(1e9),
            "Operations and maintenance, not electricity",
        ),
        SOURCE,
    ],
};

pub const CLUSTERS: Table = Table {
    name: "clusters",
    one_row_per: "planning cluster of the 3+3+N pattern (a group of quota regions; optional table, `tables.clusters`)",
    key: Some("cluster_id"),
    columns: &[
        col("cluster_id", Kind::Id, "", true, None, None, "Cluster identifier"),
        col("name_en", Kind::Text, "", true, None, None, "English name"),
        col("name_zh", Kind::Text, "", true, None, None, "Chinese name"),
        col("kind", Kind::Enum(&crate::domain::ClusterKind::NAMES), "", true, None, None, "core cluster, regional centre or other (N)"),
        col("regions", Kind::Text, "", true, None, None, "Member quota regions: region ids (keys of regions) separated by `;`; a region belongs to at most one cluster, and its sites with it"),
        SOURCE,
    ],
};

pub const RANGE_LEVELS: &[&str] = &["cluster", "region", "tier"];

/// The ranges `dcsite implied --ranges` holds a plan to (not a table of `data/`).
pub const RANGES: Table = Table {
    name: "ranges",
    one_row_per: "range of cards a forecast names for a cluster, region or tier (`dcsite implied --ranges`; not a scenario table)",
    key: None,
    columns: &[
        col("level", Kind::Enum(RANGE_LEVELS), "", true, None, None, "What the range is about"),
        col("id", Kind::Id, "", true, None, None, "A cluster id, region id or tier (core / regional / frontier)"),
        col("min_cards", Kind::Real, "cards", false, Some(0.0), Some(MAX_CARDS), "Fewest cards (all accelerators); empty means no minimum"),
        col("max_cards", Kind::Real, "cards", false, Some(0.0), Some(MAX_CARDS), "Most cards (all accelerators); empty means no maximum"),
        SOURCE,
    ],
};

/// Every table, in load order (`clusters` is optional; `ranges` is the
/// input of `dcsite implied`, not of a scenario).
pub const ALL: [&Table; 9] = [
    &REGIONS,
    &SITES,
    &ELECTRICITY_PRICES,
    &SUBSIDIES,
    &DEMAND,
    &ACCELERATORS,
    &COOLING,
    &CLUSTERS,
    &RANGES,
];

/// Markdown documentation of every table, as `data/README.md` carries it.
pub fn markdown() -> String {
    let mut out = String::new();
    for t in ALL {
        out.push_str(&format!("### {}\n\nOne row per {}.", t.name, t.one_row_per));
        if let Some(k) = t.key {
            out.push_str(&format!(" Key: `{k}` (unique)."));
        }
        out.push_str("\n\n| column | type | unit | required | range | meaning |\n|---|---|---|---|---|---|\n");
        for c in t.columns {
            let range = c.range_text();
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                c.name,
                c.kind.describe(),
                c.unit,
                if c.required { "yes" } else { "no" },
                range,
                c.description
            ));
        }
        out.push('\n');
    }
    out.push_str(
        "### scenario numbers (TOML)\n\nEvery number of a scenario file is checked like a table cell: \
         finite (no `nan`, no `inf`) and within its range, or the scenario is refused naming the key. \
         `<accel>`, `<region>`, `<tier>` and `<cluster>` stand for ids.\n\n\
         | key | type | unit | range | meaning |\n|---|---|---|---|---|\n",
    );
    for c in SCENARIO_NUMBERS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            c.name,
            c.kind.describe(),
            c.unit,
            c.range_text(),
            c.description
        ));
    }
    out.push('\n');
    out
}

const fn num_key(
    name: &'static str,
    kind: Kind,
    unit: &'static str,
    min: f64,
    max: f64,
    description: &'static str,
) -> Column {
    col(name, kind, unit, false, Some(min), Some(max), description)
}

/// Largest number of cards a target or bound may name: far above any national
/// plan, low enough for the solver's arithmetic.
pub const MAX_CARDS: f64 = 1e9;

/// Largest factor a scenario may scale the quotas or the site capacities by.
pub const MAX_SCALE: f64 = 1e4;

/// The ranges of every number in a scenario file (parameters, targets, bounds,
/// overrides). Region overrides use the columns of [`REGIONS`].
pub const SCENARIO_NUMBERS: &[Column] = &[
    num_key(
        "parameters.horizon_years",
        Kind::Integer,
        "years",
        1.0,
        100.0,
        "Depreciation horizon of the annuity factor",
    ),
    num_key(
        "parameters.discount_rate",
        Kind::Real,
        "share",
        0.0,
        1.0,
        "Discount rate of the annuity factor",
    )
    .below_max(),
    num_key(
        "parameters.utilisation",
        Kind::Real,
        "share",
        0.0,
        1.0,
        "Average draw over nameplate power",
    )
    .above_min(),
    num_key(
        "parameters.inference_share",
        Kind::Real,
        "share",
        0.0,
        1.0,
        "Share of H200-eq capacity serving inference",
    ),
    num_key(
        "parameters.mega_cards",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Size of a single-site training cluster",
    ),
    num_key(
        "parameters.mega_count",
        Kind::Integer,
        "",
        0.0,
        1000.0,
        "How many mega clusters",
    ),
    num_key(
        "parameters.min_site_cards",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Smallest site worth building",
    ),
    num_key(
        "parameters.domestic_share",
        Kind::Real,
        "share",
        0.0,
        1.0,
        "Dual track: domestic ≥ share × all",
    )
    .below_max(),
    num_key(
        "parameters.deadline_months",
        Kind::Real,
        "months",
        0.0,
        600.0,
        "Options ready later are not created",
    ),
    num_key(
        "parameters.fibre_us_per_km",
        Kind::Real,
        "µs/km",
        0.0,
        100.0,
        "One-way propagation in fibre",
    ),
    num_key(
        "parameters.route_factor",
        Kind::Real,
        "",
        1.0,
        10.0,
        "Route length over great-circle length",
    ),
    num_key(
        "parameters.overhead_ms",
        Kind::Real,
        "ms",
        0.0,
        1000.0,
        "Fixed RTT overhead",
    ),
    num_key(
        "parameters.tce_per_mwh",
        Kind::Real,
        "tce/MWh",
        0.0,
        10.0,
        "Energy conversion for the energy-use quota",
    ),
    num_key(
        "parameters.network_cny_per_card_ms_year",
        Kind::Real,
        "CNY",
        0.0,
        1e6,
        "Network cost per H200-eq card, ms of RTT and year",
    ),
    num_key(
        "parameters.max_sites_per_city",
        Kind::Integer,
        "sites",
        1.0,
        1e6,
        "Nearest candidate sites that may serve a city",
    ),
    num_key(
        "parameters.campus_phase_mw",
        Kind::Real,
        "MW (IT)",
        1.0,
        1e5,
        "A campus comes online in phases of this size, one every campus_phase_months after its first hall; unset: a whole site at once",
    ),
    num_key(
        "parameters.campus_phase_months",
        Kind::Real,
        "months",
        0.1,
        120.0,
        "Months between two phases of a campus (E: Zhongjin Zhongwei topped out the first of 4 buildings in about 3 months, facts §7.4)",
    ),
    num_key(
        "parameters.install_days",
        Kind::Real,
        "days",
        0.0,
        3650.0,
        "Days within which delivered cards must be installed (`[[deliveries]]`; a month of the plan counts 30 days)",
    ),
    num_key(
        "parameters.power_contract_cny_per_kw_month",
        Kind::Real,
        "CNY/kW/month",
        0.0,
        1000.0,
        "Capacity charge of contracted grid power (the two-part tariff's demand charge); above 0 each built site contracts facility MW, a here-and-now decision in `dcsite hedge`; 0: not modelled",
    ),
    num_key(
        "parameters.hall_start_step_months",
        Kind::Real,
        "months",
        0.0,
        120.0,
        "With `[[deliveries]]` (above 0 without them: an input error): a new hall's start month is a decision, on a grid of this step from month 0, and its site's fixed cost is paid at its start (discounted); 0: every hall starts at month 0",
    ),
    num_key(
        "parameters.start_year",
        Kind::Integer,
        "year",
        1990.0,
        2200.0,
        "Calendar year whose January is month 0 of a phased plan; the report shows months as 2026-02; unset: months as numbers",
    ),
    num_key(
        "deliveries.month",
        Kind::Real,
        "months",
        0.0,
        600.0,
        "Month a delivery arrives, 0-based from the plan's start (0 = January of the first year); with install_days, at most deadline_months",
    ),
    num_key(
        "deliveries.cards",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Exact cards of a delivery (or `min_cards` and `max_cards`)",
    ),
    num_key(
        "deliveries.min_cards",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Fewest cards of a delivery",
    ),
    num_key(
        "deliveries.max_cards",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Most cards of a delivery",
    ),
    num_key(
        "targets.<accel>.cards",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Exact card target (or `min` and/or `max`)",
    ),
    num_key(
        "targets.<accel>.min",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Lowest number of cards",
    ),
    num_key(
        "targets.<accel>.max",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Highest number of cards",
    ),
    num_key(
        "bounds.<region, tier or cluster>.min_cards",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Lowest number of cards in a region, tier or cluster",
    ),
    num_key(
        "bounds.<region, tier or cluster>.max_cards",
        Kind::Real,
        "cards",
        0.0,
        MAX_CARDS,
        "Highest number of cards in a region, tier or cluster",
    ),
    num_key(
        "overrides.power_quota_scale",
        Kind::Real,
        "",
        0.0,
        MAX_SCALE,
        "Multiplies every region's power quota",
    ),
    num_key(
        "overrides.energy_quota_scale",
        Kind::Real,
        "",
        0.0,
        MAX_SCALE,
        "Multiplies every region's energy-use quota",
    ),
    num_key(
        "overrides.site_capacity_scale",
        Kind::Real,
        "",
        0.0,
        MAX_SCALE,
        "Multiplies every site's max_it_mw",
    ),
    num_key(
        "overrides.levy_share.<accel>",
        Kind::Real,
        "share",
        0.0,
        1.0,
        "Levy share of an accelerator",
    ),
    num_key(
        "overrides.regions.<region>.power_quota_mw",
        Kind::Real,
        "MW (facility)",
        0.0,
        1e6,
        "As regions.power_quota_mw",
    ),
    num_key(
        "overrides.regions.<region>.energy_quota_tce",
        Kind::Real,
        "tce/year",
        0.0,
        1e9,
        "As regions.energy_quota_tce",
    ),
    num_key(
        "overrides.regions.<region>.water_quota_m3",
        Kind::Real,
        "m³/year",
        0.0,
        1e10,
        "Cooling water a region allows new halls per year (IT energy × the cooling's WUE); no cap unless set",
    ),
    num_key(
        "overrides.regions.<region>.pue_cap",
        Kind::Real,
        "",
        1.0,
        3.0,
        "As regions.pue_cap",
    ),
];

/// The range of a scenario number by its documented key (`parameters.utilisation`,
/// `targets.<accel>.min`, …).
pub fn scenario_number(key: &str) -> &'static Column {
    SCENARIO_NUMBERS
        .iter()
        .find(|c| c.name == key)
        .unwrap_or_else(|| panic!("no scenario number {key}"))
}
