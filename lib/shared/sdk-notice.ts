/**
 * On Node.js 20 the AWS SDK for JavaScript v3 warns, once per process, that its releases after the
 * first week of January 2027 need Node.js 22 (NodeVersionSupportWarning). package-lock.json pins the
 * SDK, so the notice is for whoever updates it (see CONTRIBUTING.md, Node.js versions), not for someone running
 * the app or a command. Call before the first SDK client is made; a value the user set is kept.
 */
export function quietSdkNodeVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
