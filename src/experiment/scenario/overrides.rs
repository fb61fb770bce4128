//! `--set a.b.c=value` overrides, merged into the file's TOML before it is read, so that an
//! override is checked exactly as the same key written in the file.

use super::{Scenario, ScenarioError};

/// A TOML error's message without its line and snippet (which would show the merged text).
pub(super) fn without_lines(message: &str) -> String {
    let kept: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("TOML parse error")
                && !l.starts_with('|')
                && l.split_once('|')
                    .is_none_or(|(n, _)| n.trim().parse::<u64>().is_err())
        })
        .collect();
    kept.join(" ")
}

/// Tables that an override created (`--set network.latency.value="20ms"` without a
/// `[network.latency]`) take the tag of the default's table there (`model = "constant"`), so
/// that setting one knob of a default does not ask for its kind.
pub(super) fn fill_tags(table: &mut toml::Table, created: &[Vec<String>]) {
    let Ok(toml::Value::Table(defaults)) = toml::Value::try_from(Scenario::default()) else {
        return;
    };
    fn fill(t: &mut toml::Table, d: &toml::Table, path: &[String]) {
        match path.split_first() {
            None => {
                for tag in ["model", "kind"] {
                    if let (Some(v), false) = (d.get(tag), t.contains_key(tag)) {
                        t.insert(tag.to_string(), v.clone());
                    }
                }
            }
            Some((k, rest)) => {
                if let (Some(tn), Some(dn)) = (
                    t.get_mut(k).and_then(|v| v.as_table_mut()),
                    d.get(k).and_then(|v| v.as_table()),
                ) {
                    fill(tn, dn, rest);
                }
            }
        }
    }
    for path in created {
        fill(table, &defaults, path);
    }
}

/// `a.b.c=value`: the value is read as TOML (`42`, `0.5`, `true`, `"5m"`, `[1, 2]`), or as a
/// bare string if it is not TOML (`5m`). Returns the paths of the tables it created.
pub(super) fn apply_override(
    table: &mut toml::Table,
    assignment: &str,
) -> Result<Vec<Vec<String>>, ScenarioError> {
    let err = |message: &str| ScenarioError::Override {
        assignment: assignment.to_string(),
        message: message.to_string(),
    };
    let (path, raw) = assignment
        .split_once('=')
        .ok_or_else(|| err("expected path=value, for example network.loss=0.01"))?;
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let digits = raw.trim().strip_prefix('-').unwrap_or(raw.trim());
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && raw.trim().parse::<i64>().is_err()
    {
        return Err(err(&format!(
            "{} is out of range: whole numbers in a scenario are at most {} (TOML's integers are 64-bit signed)",
            raw.trim(),
            i64::MAX
        )));
    }
    let keys: Vec<&str> = path.trim().split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(err("the path has an empty key"));
    }
    let mut created = Vec::new();
    let mut t = table;
    for (i, k) in keys[..keys.len() - 1].iter().enumerate() {
        if !t.contains_key(*k) {
            created.push(keys[..=i].iter().map(|k| k.to_string()).collect());
        }
        let entry = t
            .entry(k.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| err(&format!("`{k}` is not a table")))?;
    }
    t.insert(keys[keys.len() - 1].to_string(), value);
    Ok(created)
}
