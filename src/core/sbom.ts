/**
 * An ML bill of materials (CycloneDX 1.6 JSON) from `models.lock`: what a project ships, exactly.
 * Pure: a lockfile in, a JSON document out, built and serialized with the CycloneDX library.
 *
 * - One `machine-learning-model` component per locked model, named by its package URL
 *   `pkg:huggingface/<org>/<name>@<commit>` (the purl type for the Hugging Face Hub; the version
 *   is the commit, lowercased), with the ref it was pinned from and the manifest digest.
 * - Its files are sub-components of type `file`, each with its SHA-256 and the verdict, format,
 *   scanner version and policy digest that modelvet's scan recorded, as `modelvet:*` properties.
 * - The signer, when the lock pinned one: `modelvet:signature:*` properties on the model.
 * - Deterministic like the lock itself: no timestamp, and a serial number derived from the
 *   document's content, so the same lock always gives the same bytes.
 */
import { createHash } from "node:crypto";
import * as CDX from "@cyclonedx/cyclonedx-library";
import type { LockedModel, Lockfile } from "./lockfile.js";

export interface SbomOptions {
  /** The modelvet version that writes the document (metadata.tools). */
  toolVersion: string;
}

/** The package URL of a model at a commit (purl type `huggingface`). */
export function modelPurl(repo: string, revision: string): string {
  const [org, name] = repo.split("/") as [string, string];
  return `pkg:huggingface/${encodeURIComponent(org)}/${encodeURIComponent(name)}@${revision.toLowerCase()}`;
}

const property = (name: string, value: string) => new CDX.Models.Property(name, value);

function fileComponent(purl: string, path: string, file: LockedModel["files"][string]) {
  const component = new CDX.Models.Component(CDX.Enums.ComponentType.File, path, {
    bomRef: `${purl}#${path}`,
  });
  component.hashes.set(CDX.Enums.HashAlgorithm["SHA-256"], file.sha256);
  component.properties.add(property("modelvet:size", String(file.size)));
  component.properties.add(property("modelvet:gitOid", file.gitOid));
  component.properties.add(property("modelvet:lfs", String(file.lfs)));
  component.properties.add(property("modelvet:scan:verdict", file.scan.verdict));
  component.properties.add(property("modelvet:scan:format", file.scan.format));
  component.properties.add(property("modelvet:scan:scanner", file.scan.scanner));
  component.properties.add(property("modelvet:scan:policy", file.scan.policy));
  return component;
}

function modelComponent(repo: string, model: LockedModel) {
  const [org, name] = repo.split("/") as [string, string];
  const purl = modelPurl(repo, model.revision);
  const component = new CDX.Models.Component(CDX.Enums.ComponentType.MachineLearningModel, name, {
    bomRef: purl,
    group: org,
    version: model.revision,
    purl,
  });
  component.externalReferences.add(
    new CDX.Models.ExternalReference(
      `https://huggingface.co/${repo}/tree/${model.revision}`,
      CDX.Enums.ExternalReferenceType.Distribution,
      {
        comment: "the pinned commit on the Hugging Face Hub (or the mirror the lock was made from)",
      },
    ),
  );
  component.properties.add(property("modelvet:ref", model.ref));
  component.properties.add(property("modelvet:manifestDigest", model.manifestDigest));
  if (model.signature !== undefined) {
    // Who signed the model (OpenSSF Model Signing), as verified and pinned when it was locked.
    const sig = model.signature;
    component.properties.add(property("modelvet:signature:method", sig.method));
    component.properties.add(property("modelvet:signature:identity", sig.identity));
    if (sig.issuer !== undefined)
      component.properties.add(property("modelvet:signature:issuer", sig.issuer));
    component.properties.add(property("modelvet:signature:bundleSha256", sig.bundleSha256));
  }
  for (const glob of model.include) component.properties.add(property("modelvet:include", glob));
  for (const glob of model.exclude) component.properties.add(property("modelvet:exclude", glob));
  for (const path of Object.keys(model.files).sort())
    component.components.add(fileComponent(purl, path, model.files[path]!));
  return component;
}

/** A UUID (version 8, RFC 9562) from a digest of the content: stable for the same lock. */
function contentUuid(text: string): string {
  const hex = createHash("sha256").update(text).digest("hex").slice(0, 32).split("");
  hex[12] = "8";
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function buildSbom(lock: Lockfile, options: SbomOptions): string {
  const bom = new CDX.Models.Bom();
  bom.metadata.tools.components.add(
    new CDX.Models.Component(CDX.Enums.ComponentType.Application, "modelvet", {
      version: options.toolVersion,
      bomRef: `modelvet@${options.toolVersion}`,
    }),
  );
  bom.metadata.properties.add(property("modelvet:lockfileVersion", lock.lockfileVersion));
  for (const repo of Object.keys(lock.models).sort())
    bom.components.add(modelComponent(repo, lock.models[repo]!));
  const serializer = new CDX.Serialize.JsonSerializer(
    new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6),
  );
  const body = serializer.serialize(bom, { sortLists: true, space: 2 });
  bom.serialNumber = `urn:uuid:${contentUuid(body)}`;
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}
