#!/usr/bin/python3
"""Stands in for GitLab and a shell runner for the ciutils CI/CD components (templates/).

  gitlab_job.py validate FILE [--input K=V]...
      A component (a spec header, ---, the configuration) or a whole .gitlab-ci.yml:
      checks the inputs as GitLab does (type, options, regex, unknown and missing ones),
      interpolates $[[ inputs.K ]], and validates every document against GitLab's CI
      JSON schema (tests/fixtures/gitlab/ci.json). Errors name the file and the path.
  gitlab_job.py shellcheck FILE [--input K=V]...
      Runs shellcheck (as POSIX sh) over the script of every job of FILE: before_script
      and script as one file, after_script as another, the job's variables declared.
  gitlab_job.py run FILE JOB [--input K=V]... [--components DIR] [--kill-when PATH]
      Runs JOB like GitLab's shell executor: the job's variables (with `expand: false`
      respected) on top of this environment, before_script and script in one `sh -e`
      process, then after_script in a new one, always; exits with the job's status.
      --kill-when PATH: when PATH exists, the script's process group gets SIGKILL (a
      cancelled job), and after_script still runs, as GitLab 17.0 and later do.
      --components DIR: `include: component: HOST/PATH/NAME@VERSION` loads DIR/NAME.yml
      with the include's inputs, and the file's own keys are merged over it (validate
      takes it too, and then validates every included component with its inputs).

Exit status: the job's (run), 0 valid (validate), 2 invalid input or configuration.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

import jsonschema
import yaml

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "gitlab", "ci.json")


class Invalid(Exception):
    pass


class Loader(yaml.SafeLoader):
    pass


class Reference(list):
    """GitLab's `!reference [job, key...]`: a sequence to the schema (as editors read it),
    replaced by what it names when a job runs."""


Loader.add_constructor("!reference", lambda loader, node: Reference(loader.construct_sequence(node)))


def load(path, inputs):
    text = open(path, encoding="utf-8").read()
    docs = list(yaml.load_all(text, Loader=Loader))
    if len(docs) == 2 and isinstance(docs[0], dict) and "spec" in docs[0]:
        header, body = docs
        spec_inputs = (header["spec"] or {}).get("inputs") or {}
        values = check_inputs(path, spec_inputs, inputs)
        return header, interpolate(path, body, values)
    if len(docs) != 1:
        raise Invalid(f"{path}: expected one document, or a spec header and one document")
    if inputs:
        raise Invalid(f"{path}: has no spec:inputs header, but inputs were given")
    return None, docs[0]


def check_inputs(path, spec, given):
    values = {}
    for name in given:
        if name not in spec:
            raise Invalid(f"{path}: unknown input name provided: `{name}`")
    for name, rules in spec.items():
        rules = rules or {}
        kind = rules.get("type", "string")
        if name in given:
            raw = given[name]
            if kind == "number":
                if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", raw):
                    raise Invalid(f"{path}: `{name}` input: provided value is not a number")
                value = int(raw) if "." not in raw else float(raw)
            elif kind == "boolean":
                if raw not in ("true", "false"):
                    raise Invalid(f"{path}: `{name}` input: provided value is not a boolean")
                value = raw == "true"
            else:
                value = raw
        elif "default" in rules:
            value = rules["default"]
        else:
            raise Invalid(f"{path}: `{name}` input: required value has not been provided")
        if "options" in rules and value not in rules["options"]:
            raise Invalid(f"{path}: `{name}` input: `{value}` cannot be used because it is not in the list of allowed options")
        if "regex" in rules and name in given and not re.search(rules["regex"], str(value)):
            raise Invalid(f"{path}: `{name}` input: provided value does not match required RegEx pattern")
        values[name] = value
    return values


INPUT = re.compile(r"\$\[\[\s*inputs\.([A-Za-z0-9_-]+)\s*\]\]")


def interpolate(path, value, values):
    """As GitLab does: in the loaded YAML's strings and keys, never in its text, so an input
    cannot add YAML structure; a string that is one whole input keeps the input's type."""
    def get(name):
        if name not in values:
            raise Invalid(f"{path}: unknown interpolation key: `{name}`")
        return values[name]
    if isinstance(value, dict):
        return {interpolate(path, k, values): interpolate(path, v, values) for k, v in value.items()}
    if isinstance(value, list):
        return type(value)(interpolate(path, v, values) for v in value)
    if isinstance(value, str):
        whole = INPUT.fullmatch(value.strip())
        if whole:
            return get(whole.group(1))
        return INPUT.sub(lambda m: json.dumps(get(m.group(1))) if isinstance(get(m.group(1)), bool)
                         else str(get(m.group(1))), value)
    return value


def validate(path, inputs):
    header, body = load(path, inputs)
    schema = json.load(open(SCHEMA, encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    # The schema lets hidden jobs (.name) be any YAML; those that are jobs are checked as
    # job templates too, since a job extends them.
    template = {"$ref": "#/definitions/job_template", "definitions": schema["definitions"]}
    checks = [(doc, validator, "") for doc in ([header] if header else []) + [body]]
    checks += [(job, jsonschema.Draft7Validator(template), name + "/") for name, job in body.items()
               if name.startswith(".") and isinstance(job, dict) and "script" in job or
               name.startswith(".") and isinstance(job, dict) and "before_script" in job]
    for doc, v, prefix in checks:
        errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            where = prefix + "/".join(str(p) for p in e.absolute_path) or "(top)"
            raise Invalid(f"{path}: {where}: {e.message[:300]}")
    return body


def resolve(config, value):
    """Replaces !reference [job, key...] markers (GitLab flattens them into lists one level)."""
    if isinstance(value, Reference):
        target = config
        for key in value:
            if not isinstance(target, dict) or key not in target:
                raise Invalid(f"!reference {list(value)}: `{key}` is not defined")
            target = target[key]
        return resolve(config, target)
    if isinstance(value, list):
        out = []
        for item in value:
            r = resolve(config, item)
            out.extend(r if isinstance(item, Reference) and isinstance(r, list) else [r])
        return out
    if isinstance(value, dict):
        return {k: resolve(config, v) for k, v in value.items()}
    return value


def merged_job(config, name, seen=()):
    if name not in config or not isinstance(config[name], dict):
        raise Invalid(f"job `{name}` is not defined")
    if name in seen:
        raise Invalid(f"job `{name}`: circular extends")
    job = dict(config[name])
    parents = job.pop("extends", [])
    parents = [parents] if isinstance(parents, str) else parents
    base = {}
    for parent in parents:
        deep_merge(base, merged_job(config, parent, seen + (name,)))
    deep_merge(base, job)
    return base


def deep_merge(into, other):
    for k, v in other.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            deep_merge(into[k], v)
        else:
            into[k] = v


def lines(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def job_env(job):
    env = dict(os.environ)
    for name, spec in (job.get("variables") or {}).items():
        expand = True
        if isinstance(spec, dict):
            expand = spec.get("expand", True)
            spec = spec.get("value", "")
        value = "" if spec is None else str(spec)
        if expand:
            # GitLab expands $VAR and ${VAR} of earlier variables; $$ is a literal $.
            value = re.sub(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)",
                           lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1) or m.group(2), ""), value)
        env[name] = value
    return env


def run_shell(commands, env, kill_when=None):
    script = "\n".join(commands) + "\n"
    proc = subprocess.Popen(["/bin/sh", "-e", "-c", script], env=env, start_new_session=True)
    while True:
        try:
            return proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            if kill_when and os.path.exists(kill_when):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                print("gitlab_job: the job was cancelled (SIGKILL to the script)", file=sys.stderr, flush=True)
                return "cancelled"


def with_components(path, body, components):
    """The configuration with its `include: component:` items merged in, as GitLab does."""
    if not components:
        return body
    includes = body.get("include") or []
    includes = [includes] if isinstance(includes, (str, dict)) else includes
    merged = {}
    for item in includes:
        if not isinstance(item, dict) or "component" not in item:
            raise Invalid(f"{path}: include: only component includes are supported here")
        m = re.fullmatch(r"[^/]+/.+/([A-Za-z0-9_-]+)@[^@]+", item["component"])
        if not m:
            raise Invalid(f"{path}: include: component `{item['component']}` is not HOST/PATH/NAME@VERSION")
        given = {k: json.dumps(v) if isinstance(v, bool) else str(v) for k, v in (item.get("inputs") or {}).items()}
        deep_merge(merged, validate(os.path.join(components, m.group(1) + ".yml"), given))
    local = {k: v for k, v in body.items() if k != "include"}
    deep_merge(merged, local)
    return merged


def run(path, name, inputs, kill_when, components):
    body = with_components(path, validate(path, inputs), components)
    config = resolve(body, body)
    job = merged_job(config, name)
    env = job_env(job)
    status = run_shell(lines(job.get("before_script")) + lines(job.get("script")), env, kill_when)
    # after_script: a new shell with the job's variables, whatever happened before; its
    # own failure does not change the job's status.
    after = run_shell(lines(job.get("after_script")), env) if job.get("after_script") else 0
    if after != 0:
        print(f"gitlab_job: after_script failed with exit status {after}", file=sys.stderr)
    if status == "cancelled":
        return 130
    return status


def shellcheck(path, inputs, components):
    body = with_components(path, validate(path, inputs), components)
    config = resolve(body, body)
    failed = 0
    for name in config:
        if not isinstance(config[name], dict) or not any(k in config[name] for k in ("script", "before_script")):
            continue
        job = merged_job(config, name)
        declared = [f'{v}="${{{v}:-}}"' for v in (job.get("variables") or {})]
        for part, commands in (("script", lines(job.get("before_script")) + lines(job.get("script"))),
                               ("after_script", lines(job.get("after_script")))):
            if not commands:
                continue
            text = "#!/bin/sh\n" + "\n".join(declared + commands) + "\n"
            r = subprocess.run(["shellcheck", "-s", "sh", "-"], input=text, text=True, capture_output=True)
            if r.returncode != 0:
                failed = 1
                print(f"{path}: {name} ({part}):\n{r.stdout}", file=sys.stderr)
    return failed


def parse_inputs(args):
    inputs = {}
    rest = []
    it = iter(args)
    for a in it:
        if a == "--input":
            k, _, v = next(it).partition("=")
            inputs[k] = v
        else:
            rest.append(a)
    return inputs, rest


def main(argv):
    inputs, rest = parse_inputs(argv[1:])
    options = {}
    for flag in ("--kill-when", "--components"):
        if flag in rest:
            i = rest.index(flag)
            options[flag] = rest[i + 1]
            del rest[i:i + 2]
    components = options.get("--components")
    try:
        if rest[:1] == ["validate"] and len(rest) == 2:
            with_components(rest[1], validate(rest[1], inputs), components)
            return 0
        if rest[:1] == ["shellcheck"] and len(rest) == 2:
            return shellcheck(rest[1], inputs, components)
        if rest[:1] == ["run"] and len(rest) == 3:
            return run(rest[1], rest[2], inputs, options.get("--kill-when"), components)
    except Invalid as e:
        print(f"gitlab_job: error: {e}", file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
