//! `watchpost runbook check [PATH…]`: lint runbooks (files or directories; by default `runbooks/` and
//! `~/.config/watchpost/runbooks/`). Every problem at file:line:col; exits non-zero if any.
use std::path::PathBuf;
use std::process::ExitCode;

/// Where runbooks are looked for when no path is given.
/// The operator's runbook directory (`~/.config/watchpost/runbooks/`); the built-in runbooks come with
/// it wherever the console starts (`runbooks::load_all`).
pub fn default_dirs() -> Vec<PathBuf> {
    dirs::config_dir().map(|c| c.join("watchpost").join("runbooks")).into_iter().collect()
}

/// `watchpost runbook check [PATH…]`: the named files and directories, or (with none) the built-in
/// runbooks and the operator's directory.
pub fn runbook_check(paths: Vec<PathBuf>) -> ExitCode {
    let given = !paths.is_empty();
    // The operator's directory need not exist; a path given on the command line must.
    let paths = if given { paths } else { default_dirs().into_iter().filter(|d| d.is_dir()).collect() };
    let (dirs, files): (Vec<PathBuf>, Vec<PathBuf>) = paths.into_iter().partition(|p| p.is_dir());
    let (mut ok, mut bad) = if given { crate::runbooks::load_dir(&dirs) } else { crate::runbooks::load_all(&dirs) };
    for f in files {
        match crate::runbooks::parse::load(&f) {
            Ok(r) => ok.push(r),
            Err(mut e) => bad.append(&mut e),
        }
    }
    for e in &bad {
        eprintln!("error: {e}");
    }
    for r in &ok {
        let steps = r.steps().count();
        println!("{}: ok — `{}`, {steps} step(s), {} parameter(s)", r.path.display(), r.id, r.params.len());
    }
    if bad.is_empty() && !ok.is_empty() {
        ExitCode::SUCCESS
    } else {
        if ok.is_empty() && bad.is_empty() {
            let looked: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            eprintln!("error: no runbooks found (looked in {})", looked.join(", "));
        }
        ExitCode::FAILURE
    }
}

/// A runbook by path, or by id among the runbooks in the default directories.
fn find(name: &str) -> Result<crate::runbooks::Runbook, String> {
    let path = std::path::Path::new(name);
    if path.exists() {
        return crate::runbooks::parse::load(path)
            .map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
    }
    let (all, _) = crate::runbooks::load_all(&default_dirs());
    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
    all.iter()
        .find(|r| r.id == name)
        .cloned()
        .ok_or_else(|| format!("no runbook `{name}` (there are: {})", ids.join(", ")))
}

/// The command line standing in for the operator: `--confirm`/`--yes`, else a question on the terminal.
struct Cli {
    yes: bool,
    confirm: Option<String>,
}

pub(super) fn ask(question: &str) -> Option<String> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return None;
    }
    print!("{question} ");
    std::io::stdout().flush().ok()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).ok()?;
    Some(line.trim().to_string())
}

impl crate::runbooks::run::Operator for Cli {
    fn confirm(&mut self, step: &crate::runbooks::Step, service: &str) -> Option<String> {
        self.confirm.clone().or_else(|| ask(&format!("{} is destructive: type `{service}` to run it:", step.id)))
    }
    fn checklist(&mut self, step: &crate::runbooks::Step, items: &[String]) -> bool {
        for i in items {
            println!("  [ ] {}", crate::text::sanitize(i));
        }
        self.yes || ask(&format!("{}: all done? [y/N]", step.id)).is_some_and(|a| a == "y" || a == "yes")
    }
    fn say(&mut self, text: &str) {
        println!("{text}");
    }
}

pub struct RunArgs {
    pub params: Vec<String>,
    pub dry_run: bool,
    pub yes: bool,
    pub confirm: Option<String>,
    pub drill: Option<url::Url>,
}

/// `watchpost runbook run NAME|FILE`: resolve and check the parameters, then run the steps (or show them,
/// with `--dry-run`), journalled and audited.
pub async fn runbook_run(name: String, args: RunArgs, config: super::ConfigChoice) -> ExitCode {
    match run(name, args, config, None).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `watchpost runbook resume JOURNAL`: what a run did; with `--skip-unknown` or `--rerun-unknown`, go on
/// from where it stopped (steps done are not run again).
pub async fn runbook_resume(
    journal: PathBuf,
    unknown: Option<bool>,
    args: RunArgs,
    config: super::ConfigChoice,
) -> ExitCode {
    let r = match crate::runbooks::journal::replay(&journal) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("run {} of `{}`", r.run, r.runbook);
    for (step, result) in &r.done {
        println!("  {step}: {result}");
    }
    if let Some(s) = &r.unknown {
        println!("  {s}: outcome unknown (it was running when the run stopped)");
    }
    if r.drill && args.drill.is_none() {
        eprintln!("error: this run was a drill against the built-in estate; the command line does not resume drills");
        return ExitCode::FAILURE;
    }
    let Some(rerun) = unknown else {
        println!("Continue with --skip-unknown (treat it as done) or --rerun-unknown (run it again).");
        return ExitCode::SUCCESS;
    };
    let mut done = r.done.clone();
    if let (Some(s), false) = (&r.unknown, rerun) {
        let reason = "outcome unknown, the operator went on".to_string();
        let skip = crate::runbooks::journal::Event::Skip { step: s.clone(), reason: reason.clone() };
        if let Err(e) = crate::runbooks::journal::Journal::create(&journal).and_then(|mut j| j.append(&skip, true)) {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        done.insert(s.clone(), format!("skipped: {reason}"));
    }
    let params: Vec<String> = r.params.iter().filter(|(_, v)| *v != "***").map(|(k, v)| format!("{k}={v}")).collect();
    let args = RunArgs { params: params.into_iter().chain(args.params).collect(), ..args };
    let name = r.path.display().to_string();
    match run(name, args, config, Some((journal, done))).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    name: String,
    args: RunArgs,
    config: super::ConfigChoice,
    resume: Option<(PathBuf, std::collections::BTreeMap<String, String>)>,
) -> Result<(), String> {
    use crate::runbooks::journal::Journal;
    let rb = find(&name)?;
    let given: Vec<(String, String)> = args
        .params
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or(format!("--param {p}: expected NAME=VALUE"))
        })
        .collect::<Result<_, _>>()?;
    let values = crate::runbooks::run::resolve(&rb, &given, &Default::default()).map_err(|problems| {
        use crate::runbooks::run::Problem;
        // On the command line a missing value is given with a flag: say which.
        let lines: Vec<String> = problems
            .iter()
            .map(|p| match p {
                Problem::Missing(name) => format!("{p} (give it with --param {name}=…)"),
                Problem::Other(_) => p.to_string(),
            })
            .collect();
        lines.join("\n")
    })?;
    let config = super::resolve_config(config).ok();
    if let Some(c) = config.as_ref().filter(|_| !args.dry_run) {
        super::refuse_read_only(c, "a runbook run")?;
    }
    let prom = config
        .as_ref()
        .and_then(|c| c.prometheus.as_ref())
        .and_then(|p| crate::sources::prometheus::Prometheus::new(p).ok());
    let vault = match config.as_ref().and_then(|c| c.vault.as_ref()) {
        Some(v) => Some(crate::ops::vault::Vault::new(&v.source, &v.token, v.namespace.as_deref())?),
        None => None,
    };
    let who = crate::ops::who::Who::current().in_environment(config.as_ref().and_then(|c| c.environment.as_ref()));
    let policy =
        crate::ops::policy::find(config.as_ref().and_then(|c| c.policy_path.as_deref())).map_err(|e| e.to_string())?;
    let groups = crate::ops::policy::current_groups();
    match crate::ops::policy::decide(policy.as_ref(), &who, &groups, &format!("runbook:{}", rb.id)) {
        Ok(Some(note)) if note.starts_with("advisory") => eprintln!("warning: {note}"),
        Ok(_) => {}
        Err(denied) => return Err(format!("not run: {denied}")),
    }
    if let (Some(role), Some(p)) = (&rb.role, &policy)
        && !p.has_role(&who.user, &groups, role)
    {
        let msg =
            format!("`{}` needs the role `{role}`, which {} does not have in {}", rb.id, who.user, p.path.display());
        if p.advisory {
            eprintln!("warning: advisory policy: {msg}");
        } else {
            return Err(format!("not run: {msg}"));
        }
    }
    let mut op = Cli { yes: args.yes, confirm: args.confirm };
    if args.dry_run {
        println!("dry run of `{}` ({}): nothing is run", rb.id, rb.title);
        let mut r = crate::runbooks::run::Run {
            runbook: &rb,
            values,
            journal: None,
            audit: None,
            who,
            prometheus: prom.as_ref(),
            vault: vault.as_ref(),
            dry_run: true,
            done: Default::default(),
            drill: args.drill.clone(),
        };
        return r.run(&mut op).await;
    }
    let audit_path = config.as_ref().map_or_else(crate::ops::audit::default_path, |c| c.audit_path.clone());
    let mut audit = crate::ops::audit::Audit::open(&audit_path)
        .map_err(|e| format!("not run: the audit trail cannot be opened: {e}"))?;
    let (mut journal, done) = match resume {
        Some((p, done)) => (Journal::create(&p)?, done),
        None => (
            crate::runbooks::journal::begin(
                &crate::runbooks::journal::dir(),
                &rb,
                &values,
                &who,
                "",
                args.drill.is_some(),
            )?,
            Default::default(),
        ),
    };
    let path = journal.path.clone();
    println!("running `{}` — journal {}", rb.id, path.display());
    let mut r = crate::runbooks::run::Run {
        runbook: &rb,
        values,
        journal: Some(&mut journal),
        audit: Some(&mut audit),
        who,
        prometheus: prom.as_ref(),
        vault: vault.as_ref(),
        dry_run: false,
        done,
        drill: args.drill,
    };
    r.run(&mut op).await
}
