// Container image references must be pinned: an exact tag or a digest, never "latest".

const REFERENCE =
  /^(?<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

export interface ImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImageReference(text: string): ImageReference | undefined {
  const match = REFERENCE.exec(text);
  if (!match?.groups) return undefined;
  const { repository, tag, digest } = match.groups;
  if (repository === undefined) return undefined; // the pattern always captures one
  return { repository, tag, digest };
}

/** Why an image reference is not pinned, or undefined when it is. */
export function imagePinProblem(text: string): string | undefined {
  const ref = parseImageReference(text);
  if (!ref) return "is not an image reference";
  if (!ref.tag && !ref.digest) return "has neither a tag nor a digest";
  if (ref.tag === "latest" && !ref.digest) return 'uses the moving tag "latest"';
  return undefined;
}
