//! `select`: `*` for the standard fields, `UF_*` for custom fields, or names.

use crate::params::Param;

/// Which fields a list or get method returns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Selection {
    all_standard: bool,
    all_custom: bool,
    named: Vec<String>,
}

impl Selection {
    /// Reads `select`. Without one (or with an empty one) the portal returns
    /// `*` + `UF_*`.
    pub fn parse(param: Option<&Param>) -> Selection {
        let items: Vec<String> = match param {
            Some(Param::Text(one)) => vec![one.clone()],
            Some(list) => list
                .items()
                .unwrap_or_default()
                .into_iter()
                .filter_map(Param::text)
                .collect(),
            None => Vec::new(),
        };
        let items: Vec<String> = items
            .into_iter()
            .map(|item| item.trim().to_uppercase())
            .filter(|item| !item.is_empty())
            .collect();
        if items.is_empty() {
            return Selection {
                all_standard: true,
                all_custom: true,
                named: Vec::new(),
            };
        }
        Selection {
            all_standard: items.iter().any(|i| i == "*"),
            all_custom: items.iter().any(|i| i == "UF_*"),
            named: items,
        }
    }

    /// The same selection with `name` also named explicitly.
    pub fn with_name(mut self, name: &str) -> Selection {
        self.named.push(name.to_uppercase());
        self
    }

    /// Whether every standard field is wanted (`*`, or no `select`).
    pub fn all_standard(&self) -> bool {
        self.all_standard
    }

    /// Whether a standard field is wanted.
    pub fn wants_standard(&self, name: &str) -> bool {
        self.all_standard || self.names(name)
    }

    /// Whether a custom field is wanted; `UF_*` leaves out multiple fields,
    /// which must be named.
    pub fn wants_custom(&self, name: &str, multiple: bool) -> bool {
        (self.all_custom && !multiple) || self.names(name)
    }

    /// Whether the field is named explicitly.
    pub fn names(&self, name: &str) -> bool {
        self.named.iter().any(|n| n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse_php_query;

    #[test]
    fn default_is_star_and_uf() {
        let s = Selection::parse(None);
        assert!(s.wants_standard("TITLE"));
        assert!(s.wants_custom("UF_CRM_1", false));
        assert!(!s.wants_custom("UF_CRM_2", true));
    }

    #[test]
    fn named_fields_only() {
        let p = parse_php_query("select[]=ID&select[]=uf_crm_2&select[]=PHONE");
        let s = Selection::parse(p.get("select"));
        assert!(!s.wants_standard("TITLE"));
        assert!(s.wants_custom("UF_CRM_2", true));
        assert!(!s.wants_custom("UF_CRM_1", false));
        assert!(s.names("PHONE"));
    }
}
