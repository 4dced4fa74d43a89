//! Past one server: the Zero to JupyterHub values in `k8s/values.yaml`, merged over the chart's defaults as helm
//! merges them, pass the chart's schema — and agree with the single-user image (`k8s/Dockerfile`, staged by
//! `sourcelab class image`) and with what a learner's server needs. Kubernetes itself does not run here.
//!
//! The chart's files are reference data beside the checkout, used by path: `SOURCELAB_Z2JH_CHART=FOLDER` (which
//! must then exist; `.ci/run` sets it), else `../shared/reference/z2jh` if it is there.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sourcelab::class::image::{IMAGE_CLASS_DIR, IMAGE_JUPYTERHUB, RECIPE_DIR};
use sourcelab::class::{LABS_FOLDER, learner::STOP_TIME};

fn chart() -> Option<PathBuf> {
    if let Some(given) = std::env::var_os("SOURCELAB_Z2JH_CHART").filter(|v| !v.is_empty()) {
        let given = PathBuf::from(given);
        assert!(
            given.join("values.schema.yaml").is_file(),
            "SOURCELAB_Z2JH_CHART={} has no values.schema.yaml",
            given.display()
        );
        return Some(given);
    }
    Some(sourcelab::home().join("../shared/reference/z2jh")).filter(|d| d.join("values.schema.yaml").is_file())
}

/// Our values, then `more` (YAML texts), merged over the chart's defaults and checked: (errors, merged values,
/// the chart's JupyterHub version).
fn check(chart: &Path, more: &[&str]) -> (Vec<Value>, Value, String) {
    let home = sourcelab::home();
    let dir = tempfile::tempdir().unwrap();
    let mut files = vec![home.join(RECIPE_DIR).join("values.yaml")];
    for (i, text) in more.iter().enumerate() {
        let f = dir.path().join(format!("more-{i}.yaml"));
        std::fs::write(&f, text).unwrap();
        files.push(f);
    }
    let out = Command::new(home.join(".sourcelab/venv/bin/python"))
        .arg(home.join("tests/z2jh_values.py"))
        .arg(chart)
        .args(&files)
        .output()
        .expect("run tests/z2jh_values.py with the stack's venv");
    assert!(out.status.success(), "z2jh_values.py: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["errors"].as_array().unwrap().clone(), v["values"].clone(), v["app_version"].as_str().unwrap().to_string())
}

#[test]
fn the_class_values_pass_the_charts_schema_and_fit_the_image() {
    let Some(chart) = chart() else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "NOT RUN: the_class_values_pass_the_charts_schema_and_fit_the_image needs the Zero to JupyterHub chart's \
             values.yaml and values.schema.yaml; run it with SOURCELAB_Z2JH_CHART=/path/to/chart cargo test --test k8s"
        );
        return;
    };
    let (errors, values, app_version) = check(&chart, &[]);
    assert!(errors.is_empty(), "k8s/values.yaml against the chart's schema: {errors:#?}");

    // The image's servers are built for the chart's JupyterHub.
    assert_eq!(IMAGE_JUPYTERHUB, format!("jupyterhub=={app_version}"), "pin the image's JupyterHub to the chart's");
    // The pods run the image's learner server, which the recipe puts where the values say.
    let single = &values["singleuser"];
    let wrapper = format!("{IMAGE_CLASS_DIR}/shared/bin/sourcelab");
    assert_eq!(single["cmd"], serde_json::json!([wrapper, "class", "learner-server", "--"]));
    let recipe = std::fs::read_to_string(sourcelab::home().join(RECIPE_DIR).join("Dockerfile")).unwrap();
    assert!(recipe.contains(&format!("SOURCELAB_CLASS_DIR={IMAGE_CLASS_DIR}")), "the Dockerfile's class folder");
    assert!(recipe.contains(&format!("CMD [\"{wrapper}\", \"class\", \"learner-server\", \"--\"]")));
    // JupyterLab opens the labs folder the server copies the labs into, in the learner's own volume.
    let home = single["storage"]["homeMountPath"].as_str().unwrap();
    assert_eq!(values["hub"]["config"]["Spawner"]["notebook_dir"], format!("{home}/{LABS_FOLDER}"));
    assert_eq!(single["storage"]["type"], "dynamic", "each learner's home is a volume of their own");
    assert!(recipe.contains(&format!("HOME={home}")), "the image's home is where the volume is mounted");
    // A stopping pod has the time the learner's server needs to stop their stack.
    let grace = single["extraPodConfig"]["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(grace >= STOP_TIME.as_secs(), "terminationGracePeriodSeconds {grace} < {STOP_TIME:?}");
    // Logins: the roster, each learner's own password; idle servers culled.
    assert_eq!(values["hub"]["config"]["JupyterHub"]["authenticator_class"], "firstuseauthenticator");
    let roster = values["hub"]["config"]["Authenticator"]["allowed_users"].as_array().unwrap();
    for name in roster {
        sourcelab::class::check_name(name.as_str().unwrap()).unwrap();
    }
    assert_eq!(values["cull"]["enabled"], true);
    assert!(values["singleuser"]["memory"]["limit"].is_string());

    // The check itself catches what an instructor's edit could break: a misspelt key, a wrong type, a bad class.
    let (errors, _, _) = check(
        &chart,
        &["singleuser:\n  memroy: {limit: 3G}\ncull:\n  timeout: an hour\nhub:\n  config:\n    spawner: {}\n"],
    );
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths.len(), 3, "{errors:#?}");
    for (path, says) in [("singleuser", "memroy"), ("cull.timeout", "integer"), ("hub.config", "spawner")] {
        assert!(
            errors.iter().any(|e| e["path"] == path && e["message"].as_str().unwrap().contains(says)),
            "{path}: {errors:#?}"
        );
    }
}
