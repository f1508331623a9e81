//! A real single-node Slurm cluster for tests, started as root without
//! systemd and torn down by the test that started it.
//!
//! Everything lives in a temporary folder: a munge key made for the test,
//! munged on its own socket, a generated `slurm.conf` (the host's short
//! name, `ProctrackType=proctrack/linuxproc`, `TaskPlugin=task/none`,
//! `SelectType=select/cons_tres`), the controller's and the node's state,
//! logs and PID files, and ports chosen free for this cluster, so that
//! nothing under /etc is touched and two clusters never meet. The
//! controller and the node are reached on 127.0.0.1, so the host name need
//! not resolve. Clients find
//! the cluster through `SLURM_CONF` (see [`Slurm::command`]). The daemons
//! run in the foreground as children of the test and are killed by their
//! PIDs when the [`Slurm`] is dropped, also when the test panics.
//!
//! Needs Debian's `slurmctld`, `slurmd`, `slurm-client` and `munge`
//! (installed by scripts/setup.sh) and root; [`Slurm::start`] panics naming
//! what is missing instead of letting a test pass without a scheduler.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A running single-node cluster; dropping it stops the daemons it started.
pub struct Slurm {
    dir: tempfile::TempDir,
    conf: PathBuf,
    /// munged, slurmctld, slurmd: stopped in the reverse order.
    daemons: Vec<(&'static str, Child)>,
    pub node: String,
}

/// The host's short name (`hostname -s`), which slurmd registers under.
fn short_hostname() -> String {
    let o = Command::new("hostname")
        .arg("-s")
        .output()
        .expect("hostname runs");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// A TCP port that nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `CPUs=…` and `RealMemory=…` of this machine, as `slurmd -C` reports them
/// (a node that declares more than it has is drained).
fn node_resources() -> (u32, u64) {
    let o = Command::new("/usr/sbin/slurmd")
        .arg("-C")
        .output()
        .expect("slurmd -C runs");
    let text = String::from_utf8_lossy(&o.stdout);
    let field = |key: &str| -> Option<u64> {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .and_then(|v| v.parse().ok())
    };
    let cpus = field("CPUs=").unwrap_or(1) as u32;
    // Keep some memory back for the system; at least 1 GiB.
    let mem = field("RealMemory=").unwrap_or(2048);
    (cpus, (mem * 9 / 10).max(1024))
}

fn require(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install Debian's {package} (scripts/setup.sh does); \
         the Slurm tests need a real scheduler and do not skip"
    );
}

impl Slurm {
    /// Starts munged, slurmctld and slurmd and waits until the node is idle.
    pub fn start() -> Slurm {
        require("/usr/sbin/munged", "munge");
        require("/usr/sbin/slurmctld", "slurmctld");
        require("/usr/sbin/slurmd", "slurmd");
        require("/usr/bin/sbatch", "slurm-client");
        // SAFETY-free check of the effective user: the daemons need root.
        let uid = Command::new("id").arg("-u").output().expect("id runs");
        assert_eq!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "the Slurm tests start slurmctld and slurmd and must run as root"
        );
        let dir = tempfile::Builder::new()
            .prefix("dcsite-slurm-")
            .tempdir()
            .expect("temp dir");
        let d = dir.path();
        for sub in ["munge", "ctld", "spool", "log", "run"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        // Slurm's job steps run as the submitting user and write into the
        // job's working folder; keep the tree readable.
        set_mode(d, 0o755);
        let mut slurm = Slurm {
            conf: d.join("slurm.conf"),
            node: short_hostname(),
            daemons: Vec::new(),
            dir,
        };
        slurm.start_munge();
        slurm.write_conf();
        let conf = slurm.conf.clone();
        let log = |name: &str| slurm.dir.path().join("log").join(name);
        let ctld = Command::new("/usr/sbin/slurmctld")
            .args(["-D", "-i", "-f"])
            .arg(&conf)
            .env("SLURM_CONF", &conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log("slurmctld.stderr")).unwrap())
            .spawn()
            .expect("slurmctld starts");
        slurm.daemons.push(("slurmctld", ctld));
        let slurmd = Command::new("/usr/sbin/slurmd")
            .args(["-D", "-N", &slurm.node, "-f"])
            .arg(&conf)
            .env("SLURM_CONF", &conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log("slurmd.stderr")).unwrap())
            .spawn()
            .expect("slurmd starts");
        slurm.daemons.push(("slurmd", slurmd));
        slurm.wait_idle(Duration::from_secs(60));
        slurm
    }

    fn start_munge(&mut self) {
        let d = self.dir.path().join("munge");
        let key = d.join("munge.key");
        let mut bytes = vec![0u8; 1024];
        use rand::RngCore;
        rand::rng().fill_bytes(&mut bytes);
        std::fs::write(&key, &bytes).unwrap();
        set_mode(&key, 0o400);
        set_mode(&d, 0o700);
        let socket = d.join("munge.socket");
        let munged = Command::new("/usr/sbin/munged")
            .arg("-F")
            .arg("--force")
            .arg(format!("--key-file={}", key.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", d.join("munged.pid").display()))
            .arg(format!("--log-file={}", d.join("munged.log").display()))
            .arg(format!("--seed-file={}", d.join("munged.seed").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("munged starts");
        self.daemons.push(("munged", munged));
        let t0 = Instant::now();
        while !socket.exists() {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "munged did not open its socket {} within 20 s; its log:\n{}",
                socket.display(),
                std::fs::read_to_string(d.join("munged.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // The socket's folder is read by job steps of any user.
        set_mode(&d, 0o755);
    }

    fn write_conf(&self) {
        let d = self.dir.path();
        let (cpus, mem) = node_resources();
        let p = |s: &str| d.join(s).display().to_string();
        let conf = format!(
            "# Generated by tests/slurm_support for one test run.\n\
             ClusterName=dcsitetest\n\
             SlurmctldHost={node}(127.0.0.1)\n\
             SlurmctldPort={ctld_port}\n\
             SlurmdPort={slurmd_port}\n\
             SlurmUser=root\n\
             AuthType=auth/munge\n\
             CredType=cred/munge\n\
             AuthInfo=socket={munge}\n\
             StateSaveLocation={ctld}\n\
             SlurmdSpoolDir={spool}\n\
             SlurmctldPidFile={ctld_pid}\n\
             SlurmdPidFile={slurmd_pid}\n\
             SlurmctldLogFile={ctld_log}\n\
             SlurmdLogFile={slurmd_log}\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             SchedulerType=sched/backfill\n\
             SelectType=select/cons_tres\n\
             SelectTypeParameters=CR_Core_Memory\n\
             ReturnToService=2\n\
             JobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\n\
             MpiDefault=none\n\
             MaxArraySize=10001\n\
             SchedulerParameters=defer_batch=0\n\
             NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem} State=UNKNOWN\n\
             PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP\n",
            node = self.node,
            ctld_port = free_port(),
            slurmd_port = free_port(),
            munge = p("munge/munge.socket"),
            ctld = p("ctld"),
            spool = p("spool"),
            ctld_pid = p("run/slurmctld.pid"),
            slurmd_pid = p("run/slurmd.pid"),
            ctld_log = p("log/slurmctld.log"),
            slurmd_log = p("log/slurmd.log"),
        );
        std::fs::write(&self.conf, conf).unwrap();
    }

    /// A Slurm client command (`sbatch`, `sinfo`, `squeue`, …) that talks
    /// to this cluster.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    /// Runs a client command and returns what it printed; panics with its
    /// stderr and the daemons' logs when it fails.
    pub fn run(&self, program: &str, args: &[&str]) -> String {
        let o = self.command(program).args(args).output().unwrap();
        self.check(&o, &format!("{program} {}", args.join(" ")));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Panics with the command's stderr and the daemons' logs unless it succeeded.
    pub fn check(&self, o: &Output, what: &str) {
        assert!(
            o.status.success(),
            "{what} failed ({:?}):\nstdout: {}\nstderr: {}\n{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
            self.logs()
        );
    }

    /// The tail of each daemon's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut s = String::new();
        for name in [
            "slurmctld.log",
            "slurmd.log",
            "slurmctld.stderr",
            "slurmd.stderr",
        ] {
            let text =
                std::fs::read_to_string(self.dir.path().join("log").join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(25)..];
            s.push_str(&format!("--- {name} (last lines)\n{}\n", tail.join("\n")));
        }
        s
    }

    /// Waits until `sinfo` shows the node idle.
    fn wait_idle(&mut self, limit: Duration) {
        let t0 = Instant::now();
        loop {
            let exited = self
                .daemons
                .iter_mut()
                .find_map(|(name, child)| child.try_wait().ok().flatten().map(|s| (*name, s)));
            if let Some((name, status)) = exited {
                panic!("{name} exited ({status}) while starting\n{}", self.logs());
            }
            let o = self
                .command("sinfo")
                .args(["-h", "-N", "-o", "%T"])
                .output()
                .unwrap();
            let state = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if o.status.success() && state == "idle" {
                return;
            }
            assert!(
                t0.elapsed() < limit,
                "the Slurm node is not idle after {} s (sinfo: {state:?}, {})\n{}",
                limit.as_secs(),
                String::from_utf8_lossy(&o.stderr).trim(),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// The folder of this cluster's state (for job output in tests).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        // Cancel what is still queued or running, then stop the daemons we
        // started, newest first, each by its PID.
        let _ = self
            .command("scancel")
            .args(["--full", "--quiet", "-u", "root"])
            .stderr(Stdio::null())
            .status();
        for (_, child) in self.daemons.iter_mut().rev() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
