// The User-Agent registry requests of Countersign carry. Registries that report it in their
// notifications (CNCF distribution's `request.useragent`, zot's) let the service tell the signatures,
// referrers indexes and `.sig` tags that signing writes from images, which it must sign, including
// images copied with `countersign copy` (plain "countersign/<version>").

export const CountersignUserAgent = "countersign/0.1";

/** What the service and `countersign sign` send: every push under it is a signature artifact. */
export const SigningUserAgent = `${CountersignUserAgent} (signatures)`;

/** True for the pushes of any Countersign's signing (another deployment's signatures are never images). */
export function isSigningUserAgent(userAgent: string): boolean {
  return /^countersign\/\S+ \(signatures\)/i.test(userAgent.trim());
}
