//! The commands that read or redraw results: `plot`, `merge`, `validate` and `scenarios`.

use std::path::PathBuf;

use discsim::Error;

use super::Result;

pub(crate) fn merge(dir: &std::path::Path) -> Result<()> {
    let _lock = dir
        .is_dir()
        .then(|| discsim::experiment::results_dir::OutLock::acquire(dir))
        .transpose()?;
    let n = discsim::experiment::sweep_csv::merge_sweep(dir)?;
    println!("merged {n} runs into {}", dir.join("sweep.csv").display());
    Ok(())
}

pub(crate) fn plot(dir: &std::path::Path) -> Result<()> {
    let _lock = dir
        .is_dir()
        .then(|| discsim::experiment::results_dir::OutLock::acquire(dir))
        .transpose()?;
    plot_locked(dir)
}

/// Redraws the charts of a folder this process holds the lock of.
pub(crate) fn plot_locked(dir: &std::path::Path) -> Result<()> {
    let files = {
        // A signal waits for the charts, and the temporary folder goes on every error.
        let _writing = discsim::experiment::results_dir::write_guard();
        let _temp = discsim::experiment::results_dir::TempPath::new(dir.join(".tmp-charts"));
        discsim::experiment::plot::plot_dir(dir)?
    };
    let charts: std::collections::BTreeSet<_> = files
        .iter()
        .filter_map(|f| f.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    println!(
        "{} charts in {} (SVG and PNG): {}",
        charts.len(),
        dir.join("charts").display(),
        charts.into_iter().collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

pub(crate) fn validate(
    profile: &str,
    seeds: u32,
    tolerance: f64,
    threads: Option<usize>,
    out: Option<PathBuf>,
) -> Result<()> {
    use discsim::experiment::validate::{parse_profiles, run_with_progress, ValidateOptions};

    let opts = ValidateOptions {
        profiles: parse_profiles(profile)?,
        seeds,
        tolerance,
        threads,
    };
    opts.check()?;
    let _lock = match &out {
        Some(out) => {
            let lock = discsim::experiment::results_dir::OutLock::acquire(out)?;
            discsim::experiment::report::check_writable(out)?;
            Some(lock)
        }
        None => None,
    };
    let started = discsim::experiment::benchmark::Stopwatch::start();
    let reports = run_with_progress(&opts, &mut |p, seed| {
        eprintln!("running {} seed {seed} of {seeds}", p.name())
    })?;
    eprintln!("wall time {:.1} s", started.elapsed().as_secs_f64());
    for (i, r) in reports.iter().enumerate() {
        if i > 0 {
            println!();
        }
        print!("{}", r.render_table());
        if let Some(out) = &out {
            println!("comparison in {}", r.write_csv(out)?.display());
        }
    }
    println!();
    for r in &reports {
        println!("{}", r.verdict());
    }
    let beyond: usize = reports.iter().map(|r| r.failures().len()).sum();
    if beyond > 0 {
        return Err(Error::Finding(format!(
            "{beyond} figure(s) beyond the tolerance of real geth"
        )));
    }
    Ok(())
}

pub(crate) fn list_scenarios(dir: &std::path::Path) -> Result<()> {
    let listing = std::fs::read_dir(dir).map_err(|e| {
        Error::BadInput(format!(
            "cannot list {}: {e}; give the folder of scenario files with --dir",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let width = files
        .iter()
        .map(|f| f.display().to_string().chars().count())
        .max()
        .unwrap_or(0);
    for f in files {
        match discsim::experiment::scenario::Scenario::load(&f, &[]) {
            Ok(s) => println!("{:<width$} {}", f.display(), s.question),
            Err(e) => println!("{:<width$} (invalid: {e})", f.display()),
        }
    }
    Ok(())
}
