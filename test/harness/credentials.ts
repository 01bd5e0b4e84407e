import { CredentialTestContext } from 'n8n-core';
import type { PackageDirectoryLoader } from 'n8n-core';
import { ICredentialsHelper, NodeHelpers, UnexpectedError, Workflow } from 'n8n-workflow';
import type {
	IDataObject,
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
 * n8n-nodes-base's `oAuth2Api`, which OAuth2 credential types extend: the fields n8n's OAuth2
 * machinery reads, as n8n merges them under a child type, and the `oauthTokenData` field n8n
 * adds. A stand-in: n8n-nodes-base is not installed for the tests.
 */
const OAUTH2_API: INodeProperties[] = [
	{ displayName: 'Grant Type', name: 'grantType', type: 'options', default: 'authorizationCode', options: ['authorizationCode', 'clientCredentials', 'pkce'].map((value) => ({ name: value, value })) },
	{ displayName: 'Authorization URL', name: 'authUrl', type: 'string', default: '' },
	{ displayName: 'Access Token URL', name: 'accessTokenUrl', type: 'string', default: '' },
	{ displayName: 'Client ID', name: 'clientId', type: 'string', default: '' },
	{ displayName: 'Client Secret', name: 'clientSecret', type: 'string', typeOptions: { password: true }, default: '' },
	{ displayName: 'Scope', name: 'scope', type: 'string', default: '' },
	{ displayName: 'Auth URI Query Parameters', name: 'authQueryParameters', type: 'string', default: '' },
	{ displayName: 'Authentication', name: 'authentication', type: 'options', default: 'header', options: ['body', 'header'].map((value) => ({ name: value, value })) },
	{ displayName: 'oauthTokenData', name: 'oauthTokenData', type: 'json', default: {} },
];

/** The type's properties as n8n merges them: its parents' first, its own over them. */
function credentialProperties(loader: PackageDirectoryLoader, type: string): INodeProperties[] | undefined {
	const credentialType = credentialTypeOf(loader, type);
	if (!credentialType) return undefined;
	const merged: INodeProperties[] = [];
	for (const parent of credentialType.extends ?? []) {
		if (parent !== 'oAuth2Api') unsupported(`Extending the credential type "${parent}"`);
		NodeHelpers.mergeNodeProperties(merged, OAUTH2_API);
	}
	NodeHelpers.mergeNodeProperties(merged, credentialType.properties);
	return merged;
}

/**
 * Adds the credential type's defaults, drops fields its display options hide, keeps the OAuth2
 * token data and resolves expressions against the data itself (`$self`), as n8n's
 * CredentialsHelper.applyDefaultsAndOverwrites does before a node sees the data.
 * Types from other packages are unknown here and pass through unchanged.
 */
async function withDefaults(
	loader: PackageDirectoryLoader,
	type: string,
	data: ICredentialDataDecryptedObject,
): Promise<ICredentialDataDecryptedObject> {
	const properties = credentialProperties(loader, type);
	if (!properties) return data;
	const withDefaultValues = (NodeHelpers.getNodeParameters(properties, data as INodeParameters, true, false, null, null) ?? {}) as IDataObject;
	if (data.oauthTokenData !== undefined) withDefaultValues.oauthTokenData = data.oauthTokenData;
	const node = { id: 'credential', name: '', typeVersion: 1, type: 'mock', position: [0, 0] as [number, number], parameters: {} };
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes: { getByName: () => undefined, getByNameAndVersion: () => undefined, getKnownTypes: () => ({}) } as never });
	return workflow.expression.getComplexParameterValue(node, withDefaultValues as INodeParameters, 'internal', {}, undefined, undefined, withDefaultValues) as ICredentialDataDecryptedObject;
}

function unsupported(what: string): never {
	throw new UnexpectedError(`${what} is not supported by the test harness`);
}

/**
 * Stands in for n8n's database-backed CredentialsHelper: every node credential of a type
 * resolves to the data given for that type, and OAuth2 token data n8n stores after a refresh is
 * written back into it (the caller's object), as n8n writes it to its database. Generic HTTP
 * authentication fails loudly instead of faking success.
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
		_mode?: unknown,
		_executeData?: unknown,
		raw?: boolean,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.credentials[type];
		if (!data) throw new UnexpectedError(`The test gave no credentials of type "${type}"`);
		return raw ? { ...data } : await withDefaults(this.loader, type, data);
	}

	getCredentialsProperties(type: string): INodeProperties[] {
		return credentialProperties(this.loader, type) ?? [];
	}

	getParentTypes(type: string): string[] {
		return credentialTypeOf(this.loader, type)?.extends ?? [];
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

	/** n8n saves only the token data of a refreshed OAuth2 credential; so does this. */
	async updateCredentialsOauthTokenData(_nodeCredentials: unknown, type: string, data: ICredentialDataDecryptedObject): Promise<void> {
		this.credentials[type].oauthTokenData = data.oauthTokenData;
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

	// n8n tests an OAuth2 credential by whether it holds an access token, never by a node's test.
	if (credentialTypeOf(loader, credentialType)?.extends?.includes('oAuth2Api')) {
		const token = (data.oauthTokenData as IDataObject | undefined)?.access_token;
		return token
			? { status: 'OK', message: 'Connection Successful!' }
			: { status: 'Error', message: 'This OAuth2 credential was not connected to an account.' };
	}
	const credentialTest = findCredentialTest(loader, credentialType);
	if (!credentialTest)
		return { status: 'Error', message: 'No testing function found for this credential.' };

	const credential: ICredentialsDecrypted = {
		id: 'harness-credential',
		name: credentialType,
		type: credentialType,
		data: await withDefaults(loader, credentialType, data),
	};
	return await credentialTest.call(new CredentialTestContext(), credential);
}
