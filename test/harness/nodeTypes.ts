import { PackageDirectoryLoader } from 'n8n-core';
import { NodeHelpers, UnexpectedError } from 'n8n-workflow';
import type { IDataObject, INodeType, INodeTypes, IVersionedNodeType } from 'n8n-workflow';

/** Package name under which the harness's own test-only node types are registered. */
export const TEST_PACKAGE = 'harness';

/** Loads a community-node package the way n8n does when it installs one from npm. */
export async function loadPackage(packageDir: string): Promise<PackageDirectoryLoader> {
	const loader = new PackageDirectoryLoader(packageDir);
	await loader.loadAll();
	return loader;
}

/**
 * Resolves node types by their full name, `<package name>.<description.name>`, which is how
 * n8n names nodes of installed packages (e.g. `n8n-nodes-payroll-mail.payrollMail`).
 */
export class HarnessNodeTypes implements INodeTypes {
	constructor(
		private readonly loader: PackageDirectoryLoader,
		private readonly testNodes: Record<string, INodeType>,
	) {}

	getByName(fullType: string): INodeType | IVersionedNodeType {
		const separator = fullType.lastIndexOf('.');
		const packageName = fullType.slice(0, separator);
		const type = fullType.slice(separator + 1);

		if (packageName === TEST_PACKAGE && type in this.testNodes) return this.testNodes[type];
		if (packageName === this.loader.packageName) return this.loader.getNode(type).type;
		throw new UnexpectedError(
			`Unknown node type "${fullType}": the harness knows "${TEST_PACKAGE}.*" and "${this.loader.packageName}.*"`,
		);
	}

	getByNameAndVersion(fullType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(fullType), version);
	}

	// Only reaches nodes through getKnownNodeTypes(), which nodes that list installed nodes use.
	getKnownTypes(): IDataObject {
		return {};
	}
}

/** The version n8n gives a newly added node: the newest one the type offers. */
export function latestVersion(nodeType: INodeType | IVersionedNodeType): number {
	if ('nodeVersions' in nodeType) return nodeType.currentVersion;
	const { version } = nodeType.description;
	return Array.isArray(version) ? Math.max(...version) : version;
}
