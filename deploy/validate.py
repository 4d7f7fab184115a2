#!/usr/bin/python3
"""Offline check of deploy/: the Kubernetes manifests and the OpenTelemetry Collector config.

No cluster is needed (none is reachable where CI runs). Each Kubernetes object is checked against the API's own
models - python3-kubernetes (Debian: apt-get install -y python3-kubernetes), generated from the Kubernetes OpenAPI
spec - field by field: unknown fields (a typo), wrong types (an unquoted number where a string is due), missing
required fields. Then what a schema cannot see: selectors that match their pods, probes and services that name
ports the container declares, Secrets, ConfigMaps and service accounts that exist, every file listed in the
kustomization. For the collector: every pipeline names components that are defined.

Run: /usr/bin/python3 deploy/validate.py  (exit 0 and a summary line when everything holds)
"""
import json
import pathlib
import sys

import yaml

try:
    from kubernetes import client
except ImportError:
    sys.exit("python3-kubernetes is missing: apt-get install -y python3-kubernetes")

DEPLOY = pathlib.Path(__file__).resolve().parent
PROBE_PATHS = {"/health/live", "/health/ready"}
errors = []


def error(where, message):
    errors.append(f"{where}: {message}")


def check(value, type_name, where):
    """Checks a value against a python3-kubernetes type name ('str', 'list[V1Container]', 'V1PodSpec'...)."""
    if value is None:
        return
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return error(where, f"must be a list, not {type(value).__name__}")
        for i, item in enumerate(value):
            check(item, type_name[5:-1], f"{where}[{i}]")
    elif type_name.startswith("dict("):
        if not isinstance(value, dict):
            return error(where, f"must be a map, not {type(value).__name__}")
        inner = type_name[type_name.index(",") + 1:-1].strip()
        for key, item in value.items():
            check(item, inner, f"{where}.{key}")
    elif type_name == "str":
        if not isinstance(value, str):
            error(where, f"must be a string, not {type(value).__name__} {value!r} (quote it)")
    elif type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            error(where, f"must be an integer, not {value!r}")
    elif type_name == "bool":
        if not isinstance(value, bool):
            error(where, f"must be true or false, not {value!r}")
    elif type_name in ("object", "datetime", "date", "float"):
        pass
    else:
        model = getattr(client, type_name, None)
        if model is None:
            return error(where, f"unknown type {type_name}")
        if not isinstance(value, dict):
            return error(where, f"must be an object ({type_name}), not {type(value).__name__}")
        fields = {json_name: attr for attr, json_name in model.attribute_map.items()}
        for key, item in value.items():
            if key not in fields:
                error(where, f"unknown field '{key}' in {type_name}")
            else:
                check(item, model.openapi_types[fields[key]], f"{where}.{key}")


class Response:  # what ApiClient.deserialize reads
    def __init__(self, obj):
        self.data = json.dumps(obj)


def model_of(doc):
    version = doc.get("apiVersion", "").split("/")[-1]
    return f"{version[:1].upper()}{version[1:]}{doc.get('kind', '')}"


def load_manifests():
    kustomization = yaml.safe_load((DEPLOY / "kubernetes" / "kustomization.yaml").read_text())
    listed = kustomization.get("resources", [])
    present = sorted(p.name for p in (DEPLOY / "kubernetes").glob("*.yaml") if p.name != "kustomization.yaml")
    for name in present:
        if name not in listed:
            error("kustomization.yaml", f"{name} is not listed in resources")
    objects = []
    for name in listed:
        path = DEPLOY / "kubernetes" / name
        if not path.exists():
            error("kustomization.yaml", f"lists {name}, which does not exist")
            continue
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc is not None:
                objects.append((f"{name}#{i} {doc.get('kind')}/{doc.get('metadata', {}).get('name')}", doc))
    images = {i["name"] for i in kustomization.get("images", [])}
    return objects, images


def check_schema(objects):
    api = client.ApiClient()
    for where, doc in objects:
        type_name = model_of(doc)
        if getattr(client, type_name, None) is None:
            error(where, f"no Kubernetes model for apiVersion {doc.get('apiVersion')} kind {doc.get('kind')}")
            continue
        if not doc.get("metadata", {}).get("name"):
            error(where, "metadata.name is required")
        check(doc, type_name, where)
        try:  # required fields and enumerations, as the API's models state them
            api.deserialize(Response(doc), type_name)
        except (ValueError, TypeError) as e:
            error(where, str(e))


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_references(objects, images):
    by_kind = {}
    for where, doc in objects:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = (where, doc)
    workloads = {**by_kind.get("Deployment", {}), **by_kind.get("StatefulSet", {})}
    pods = {}
    for name, (where, doc) in workloads.items():
        template = doc["spec"]["template"]
        labels = template["metadata"].get("labels", {})
        pods[name] = (labels, template["spec"])
        if not matches(doc["spec"]["selector"].get("matchLabels"), labels):
            error(where, "spec.selector.matchLabels does not match the pod template's labels")
        spec = template["spec"]
        account = spec.get("serviceAccountName")
        if account and account not in by_kind.get("ServiceAccount", {}):
            error(where, f"service account {account} is not defined")
        for c in spec["containers"]:
            cw = f"{where} container {c['name']}"
            if c["image"].split(":")[0] not in images:
                error(cw, f"image {c['image']} is not in the kustomization's images")
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                get = c.get(probe, {}).get("httpGet")
                if get is None:
                    error(cw, f"has no {probe} over HTTP")
                    continue
                if get["path"] not in PROBE_PATHS:
                    error(cw, f"{probe} asks {get['path']}, which the service does not serve ({', '.join(sorted(PROBE_PATHS))})")
                if isinstance(get["port"], str) and get["port"] not in ports:
                    error(cw, f"{probe} names port {get['port']}, which the container does not declare")
                if probe == "livenessProbe" and get["path"] != "/health/live":
                    error(cw, "liveness must ask /health/live: readiness depends on storage, and an outage must not restart pods")
            for setting in ("Management__Url", "Management__SiloUrl"):
                if env.get(setting) and int(env[setting].rsplit(":", 1)[1]) != ports.get("management"):
                    error(cw, f"{setting} listens on another port than the one named 'management'")
            for e in c.get("env", []):
                ref = e.get("valueFrom", {})
                for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                    if key in ref:
                        target = by_kind.get(kind, {}).get(ref[key]["name"])
                        if target is None:
                            error(cw, f"env {e['name']} reads {kind} {ref[key]['name']}, which is not defined")
                        else:
                            data = {**target[1].get("data", {}), **target[1].get("stringData", {})}
                            if ref[key]["key"] not in data:
                                error(cw, f"env {e['name']} reads key {ref[key]['key']}, which {kind} {ref[key]['name']} lacks")
            for source in c.get("envFrom", []):
                for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                    if key in source and source[key]["name"] not in by_kind.get(kind, {}):
                        error(cw, f"envFrom reads {kind} {source[key]['name']}, which is not defined")
    for name, (where, doc) in by_kind.get("Service", {}).items():
        targets = [p for p in pods.values() if matches(doc["spec"].get("selector"), p[0])]
        if not targets:
            error(where, "its selector matches no pod template")
        for port in doc["spec"]["ports"]:
            target = port.get("targetPort")
            if isinstance(target, str) and not any(
                    target in {p.get("name") for c in spec["containers"] for p in c.get("ports", [])} for _, spec in targets):
                error(where, f"targetPort {target} is not a port its pods declare")
    for name, (where, doc) in by_kind.get("PodDisruptionBudget", {}).items():
        if not any(matches(doc["spec"]["selector"].get("matchLabels"), p[0]) for p in pods.values()):
            error(where, "its selector matches no pod template")
    for name, (where, doc) in by_kind.get("RoleBinding", {}).items():
        if doc["roleRef"]["kind"] == "Role" and doc["roleRef"]["name"] not in by_kind.get("Role", {}):
            error(where, f"binds Role {doc['roleRef']['name']}, which is not defined")


def check_collector():
    path = DEPLOY / "otel-collector.yaml"
    config = yaml.safe_load(path.read_text())
    service = config.get("service", {})
    for extension in service.get("extensions", []):
        if extension not in config.get("extensions", {}):
            error(path.name, f"service uses extension {extension}, which is not defined")
    pipelines = service.get("pipelines", {})
    if not pipelines:
        error(path.name, "no pipelines")
    for name, pipeline in pipelines.items():
        for section in ("receivers", "processors", "exporters"):
            for component in pipeline.get(section, []):
                if component not in (config.get(section) or {}):
                    error(path.name, f"pipeline {name} uses {section[:-1]} {component}, which is not defined")
        if not pipeline.get("receivers") or not pipeline.get("exporters"):
            error(path.name, f"pipeline {name} needs receivers and exporters")
    return len(pipelines)


def main():
    objects, images = load_manifests()
    check_schema(objects)
    if not errors:
        check_references(objects, images)
    pipelines = check_collector()
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(f"{len(errors)} problem(s) in deploy/")
    print(f"deploy/ is valid: {len(objects)} Kubernetes objects, {pipelines} collector pipelines")


main()
