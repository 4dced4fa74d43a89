//! Past one server: the same class on Kubernetes, with the Zero to JupyterHub chart and a single-user image.
//!
//! On one server a learner's JupyterLab runs as their own system user; on Kubernetes it runs in a pod of its own
//! (KubeSpawner), as the image's user `jovyan` (uid 1000), its home a volume of its own. The choice made for one
//! server holds: **each learner has their own stack** — here inside their pod, beside JupyterLab, started and
//! stopped with it by the same `sourcelab class learner-server`. A pod's loopback belongs to that pod alone, so
//! nobody else can reach a learner's databases or motos; the pod's memory limit bounds the whole stack.
//!
//! The image *is* a class folder, at [`IMAGE_CLASS_DIR`]: the `shared/` folder a class server builds (toolchain,
//! cargo's registry, the binary, the kernel's files, the solution notebooks, a warm kernel work folder), a venv
//! with JupyterLab and the labs' Python packages, and `labs/` — the labs a learner starts with, copied into their
//! home at their first start (a newer image's labs at a later start, beside a copy they changed).
//!
//! ```text
//! sourcelab class image build/image          stage the build context (this machine's build: same Debian release)
//! podman build -t REGISTRY/sourcelab-singleuser:TAG build/image     (or docker build), then push it
//! helm upgrade --install class jupyterhub/jupyterhub --values k8s/values.yaml    (roster and image edited first)
//! ```
//!
//! The recipe and the chart's values are in the checkout's `k8s/`; `tests/k8s.rs` checks the values merged over
//! the chart's defaults against the chart's schema.

use std::path::{Path, PathBuf};

use super::Class;
use crate::error::{Error, ErrorKind, Result};

/// Where the class folder is inside the single-user image.
pub const IMAGE_CLASS_DIR: &str = "/opt/sourcelab-class";

/// The JupyterHub the image's servers are built for: the hub the Zero to JupyterHub chart runs (its
/// `appVersion`). A single-user server should match its hub's version.
pub const IMAGE_JUPYTERHUB: &str = "jupyterhub==5.5.0";

/// The checkout's folder with the image's recipe (`Dockerfile`) and the chart's values (`values.yaml`).
pub const RECIPE_DIR: &str = "k8s";

/// Stages the single-user image's build context in `out` from `checkout` and this machine's build: the
/// recipe, the Python packages to install, and the class folder (`class/`) the image holds. Returns `out`.
///
/// The toolchain and cargo's registry are hard links (`out` must be on the same disk as `~/.rustup` and
/// `~/.cargo`); building the image copies them in. Staging again refreshes what changed.
pub fn stage(checkout: &Path, out: &Path) -> Result<PathBuf> {
    let recipe = checkout.join(RECIPE_DIR).join("Dockerfile");
    if !recipe.is_file() {
        return Err(Error::new(
            ErrorKind::NotFound,
            "stage the single-user image",
            "the checkout has no k8s/Dockerfile",
        )
        .hint("run it from a sourcelab checkout, or set SOURCELAB_HOME to one"));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io("create folder", out, e))?;
    let class = Class::at(out.join("class"));
    class.install_shared_files(checkout)?;
    // The labs a learner starts with, laid out as in a checkout (what `Class::copy_labs` reads).
    let labs = class.image_labs();
    let _ = std::fs::remove_dir_all(&labs);
    let exercises = labs.join("notebooks").join("exercises");
    crate::kernel::copy_tree(&checkout.join("notebooks").join("exercises"), &exercises)?;
    copy(&checkout.join("notebooks/00_start_here.ipynb"), &labs.join("notebooks/00_start_here.ipynb"))?;
    crate::kernel::copy_tree(&checkout.join("data"), &labs.join("data"))?;
    let kernel_requirements = checkout.join("kernel").join("requirements.txt");
    let requirements = std::fs::read_to_string(&kernel_requirements)
        .map_err(|e| Error::io("read", &kernel_requirements, e))?
        + IMAGE_JUPYTERHUB
        + "\n";
    std::fs::write(out.join("requirements.txt"), requirements)
        .map_err(|e| Error::io("write", &out.join("requirements.txt"), e))?;
    copy(&recipe, &out.join("Dockerfile"))?;
    // The toolchain's HTML documentation (most of its size) stays out of the image.
    std::fs::write(out.join(".dockerignore"), "class/shared/toolchain/share/doc\n")
        .map_err(|e| Error::io("write", &out.join(".dockerignore"), e))?;
    Ok(out.to_path_buf())
}

/// The last step of the image's build, run inside it: "Rust (sourcelab)" in the image's Jupyter, and the
/// notebook crate built once in the image for every learner's first kernel.
pub fn finish() -> Result<()> {
    let class = Class::new();
    if class.dir() != Path::new(IMAGE_CLASS_DIR) {
        return Err(Error::new(
            ErrorKind::Input,
            "finish the single-user image",
            format!("the class folder is {}, not the image's {IMAGE_CLASS_DIR}", class.dir().display()),
        )
        .hint("this runs inside the image's build (k8s/Dockerfile), which sets SOURCELAB_CLASS_DIR"));
    }
    class.finish_shared()
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io("create folder", parent, e))?;
    }
    std::fs::copy(from, to).map(|_| ()).map_err(|e| Error::io("copy", from, e))
}
