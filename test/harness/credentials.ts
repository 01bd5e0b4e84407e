import { CredentialTestContext } from 'n8n-core';
import type { PackageDirectoryLoader } from 'n8n-core';
import { ICredentialsHelper, NodeHelpers, UnexpectedError } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	ICredentialsDecrypted,
	ICredentialTestFunction,
	ICredentialType,
	IHttpRequestOptions,
	INodeCredentialTestResult,
	INodeParameters,
	INodeProperties,
	INodeType,
	IRequestOptionsSimplified,
	IVersionedNodeType,
} from 'n8n-workflow';

import { loadPackage } from './nodeTypes';

/** Decrypted credential data by credential type name, as a user would have saved it. */
export type HarnessCredentials = Record<string, ICredentialDataDecryptedObject>;

function credentialTypeOf(
	loader: PackageDirectoryLoader,
	type: string,
): ICredentialType | undefined {
	return type in loader.known.credentials ? loader.getCredential(type).type : undefined;
}

/**
 * Adds the credential type's defaults and drops fields its display options hide, as n8n's
 * CredentialsHelper.applyDefaultsAndOverwrites does before a node sees the data.
 * Types from other packages are unknown here and pass through unchanged.
 */
function withDefaults(
	loader: PackageDirectoryLoader,
	type: string,
	data: ICredentialDataDecryptedObject,
): ICredentialDataDecryptedObject {
	const properties = credentialTypeOf(loader, type)?.properties;
	if (!properties) return data;
	const withDefaultValues = NodeHelpers.getNodeParameters(
		properties,
		data as INodeParameters,
		true,
		false,
		null,
		null,
	);
	return (withDefaultValues ?? {}) as ICredentialDataDecryptedObject;
}

function unsupported(what: string): never {
	throw new UnexpectedError(`${what} is not supported by the test harness`);
}

/**
 * Stands in for n8n's database-backed CredentialsHelper: every node credential of a type
 * resolves to the data given for that type. Only what SMTP-style nodes need is real;
 * OAuth token storage and generic HTTP authentication fail loudly instead of faking success.
 */
export class HarnessCredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly loader: PackageDirectoryLoader,
		private readonly credentials: HarnessCredentials,
	) {
		super();
	}

	async getDecrypted(
		_additionalData: unknown,
		_nodeCredentials: unknown,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.credentials[type];
		if (!data) throw new UnexpectedError(`The test gave no credentials of type "${type}"`);
		return withDefaults(this.loader, type, data);
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return credentialTypeOf(this.loader, type)?.properties ?? [];
	}

	// Credential inheritance (`extends`) is an n8n-nodes-base feature community packages can't build on.
	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		const type = credentialTypeOf(this.loader, credentialType);
		if (!type?.restrictToSupportedNodes) return true;
		return (type.supportedNodes ?? []).some(
			(name) => `${this.loader.packageName}.${name}` === nodeType,
		);
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = credentialTypeOf(this.loader, typeName) ?? {};
		if (authenticate === undefined) return requestOptions as IHttpRequestOptions;
		if (typeof authenticate === 'function')
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		return unsupported('Generic `authenticate` on credential types');
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		return unsupported('Reading encrypted credentials');
	}

	async updateCredentials(): Promise<void> {
		unsupported('Saving credentials');
	}

	async updateCredentialsOauthTokenData(): Promise<void> {
		unsupported('Saving OAuth tokens');
	}
}

/** Newest version first, as n8n's CredentialsTester searches them. */
function versionsOf(nodeType: INodeType | IVersionedNodeType): INodeType[] {
	if (!('nodeVersions' in nodeType)) return [nodeType];
	return Object.entries(nodeType.nodeVersions)
		.sort(([a], [b]) => Number(b) - Number(a))
		.map(([, version]) => version);
}

/** Finds the `methods.credentialTest` function a node names in `testedBy` for the credential type. */
function findCredentialTest(
	loader: PackageDirectoryLoader,
	credentialType: string,
): ICredentialTestFunction | undefined {
	if (credentialTypeOf(loader, credentialType)?.test)
		unsupported('A request-based credential `test`');

	for (const { type } of Object.values(loader.nodeTypes)) {
		for (const version of versionsOf(type)) {
			const testedBy = version.description.credentials?.find(
				({ name }) => name === credentialType,
			)?.testedBy;
			if (testedBy === undefined) continue;
			if (typeof testedBy !== 'string') unsupported('A request-based `testedBy`');
			const credentialTest = version.methods?.credentialTest?.[testedBy];
			if (credentialTest) return credentialTest;
		}
	}
	return undefined;
}

/**
 * Runs a credential's "Test" button the way n8n's CredentialsTester does for function-based
 * tests: defaults applied to the data, and the node's test function called on a
 * CredentialTestContext (logger, request and SSH-tunnel helpers), outside any execution.
 */
export async function testCredential(options: {
	packageDir: string;
	credentialType: string;
	data: ICredentialDataDecryptedObject;
}): Promise<INodeCredentialTestResult> {
	const { packageDir, credentialType, data } = options;
	const loader = await loadPackage(packageDir);

	const credentialTest = findCredentialTest(loader, credentialType);
	if (!credentialTest)
		return { status: 'Error', message: 'No testing function found for this credential.' };

	const credential: ICredentialsDecrypted = {
		id: 'harness-credential',
		name: credentialType,
		type: credentialType,
		data: withDefaults(loader, credentialType, data),
	};
	return await credentialTest.call(new CredentialTestContext(), credential);
}
