/**
 * The AWS Price List Query API (`pricing:GetProducts`) as AWS answers it, for the strict-AWS
 * harness (moto answers it with HTTP 500) and the parser's unit tests.
 *
 * The shape is AWS's own, from the documented example of `aws pricing get-products` (the AWS CLI's
 * awscli/examples/pricing/get-products.rst, reproduced verbatim as DOCUMENTED_EXAMPLE below, and
 * "Reading the service price list file for an AWS service" in the AWS Billing user guide): the
 * answer is `{FormatVersion: "aws_v1", NextToken?, PriceList: [<one JSON string per product>]}`;
 * each product is `{product: {productFamily, attributes, sku}, serviceCode, terms: {OnDemand:
 * {"<sku>.JRTCKXETXF": {priceDimensions: {"<sku>.JRTCKXETXF.6YS6EN2CT7": {unit, endRange,
 * description, appliesTo, rateCode, beginRange, pricePerUnit: {USD}}}, sku, effectiveDate,
 * offerTermCode, termAttributes}}, Reserved?: …}, version, publicationDate}`. The products below
 * follow it field for field, with the attributes AWS publishes for each family (regionCode,
 * usagetype with the region's billing prefix — none in us-east-1 —, instanceType, capacitystatus,
 * …) and us-east-1's list prices; their SKUs are made up (18 characters, as AWS's are).
 */

/** The answer in the AWS CLI's documentation, byte for byte: one Provisioned IOPS (io1) storage product in Singapore. */
export const DOCUMENTED_EXAMPLE = {
  FormatVersion: 'aws_v1',
  NextToken:
    'WGDY7ko8fQXdlaUZVdasFQ==:RVSagyIFn770XQOzdUIcO9BY6ucBG9itXAZGZF/zioUzOsUKh6PCcPWaOyPZRiMePb986TeoKYB9l55fw/CyoMq5ymnGmT1Vj39TljbbAlhcqnVfTmPIilx8Uy5bdDaBYy/e/2Ofw9Edzsykbs8LTBuNbiDQ+BBds5yeI9AQkUepruKk3aEahFPxJ55kx/zk',
  PriceList: [
    '{"product":{"productFamily":"Storage","attributes":{"storageMedia":"SSD-backed","maxThroughputvolume":"320 MB/sec","volumeType":"Provisioned IOPS","maxIopsvolume":"20000","servicecode":"AmazonEC2","usagetype":"APS1-EBS:VolumeUsage.piops","locationType":"AWS Region","location":"Asia Pacific (Singapore)","servicename":"Amazon Elastic Compute Cloud","maxVolumeSize":"16 TiB","operation":""},"sku":"3MKHN58N7RDDVGKJ"},"serviceCode":"AmazonEC2","terms":{"OnDemand":{"3MKHN58N7RDDVGKJ.JRTCKXETXF":{"priceDimensions":{"3MKHN58N7RDDVGKJ.JRTCKXETXF.6YS6EN2CT7":{"unit":"GB-Mo","endRange":"Inf","description":"$0.138 per GB-month of Provisioned IOPS SSD (io1)  provisioned storage - Asia Pacific (Singapore)","appliesTo":[],"rateCode":"3MKHN58N7RDDVGKJ.JRTCKXETXF.6YS6EN2CT7","beginRange":"0","pricePerUnit":{"USD":"0.1380000000"}}},"sku":"3MKHN58N7RDDVGKJ","effectiveDate":"2018-08-01T00:00:00Z","offerTermCode":"JRTCKXETXF","termAttributes":{}}}},"version":"20180808005701","publicationDate":"2018-08-08T00:57:01Z"}',
  ],
};

/**
 * t3.small, Linux, shared tenancy, in us-east-1, as GetProducts returns it with the filters
 * ecs-wizard sends: its On-Demand term ($0.0208 an hour) and one of its Reserved terms, which the
 * parser must leave alone.
 */
export const T3_SMALL_US_EAST_1 =
  '{"product":{"productFamily":"Compute Instance","attributes":{"enhancedNetworkingSupported":"Yes","intelTurboAvailable":"Yes","memory":"2 GiB","dedicatedEbsThroughput":"Up to 2085 Mbps","vcpu":"2","classicnetworkingsupport":"false","capacitystatus":"Used","locationType":"AWS Region","storage":"EBS only","instanceFamily":"General purpose","operatingSystem":"Linux","intelAvx2Available":"Yes","regionCode":"us-east-1","physicalProcessor":"Intel Skylake E5 2686 v5","clockSpeed":"3.1 GHz","ecu":"Variable","networkPerformance":"Up to 5 Gigabit","servicename":"Amazon Elastic Compute Cloud","gpuMemory":"NA","vpcnetworkingsupport":"true","instanceType":"t3.small","tenancy":"Shared","usagetype":"BoxUsage:t3.small","normalizationSizeFactor":"1","intelAvxAvailable":"Yes","processorFeatures":"AVX; AVX2; Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo","servicecode":"AmazonEC2","licenseModel":"No License required","currentGeneration":"Yes","preInstalledSw":"NA","location":"US East (N. Virginia)","processorArchitecture":"64-bit","marketoption":"OnDemand","operation":"RunInstances","availabilityzone":"NA"},"sku":"CD3RPM3TXHQMTAZZ"},"serviceCode":"AmazonEC2","terms":{"OnDemand":{"CD3RPM3TXHQMTAZZ.JRTCKXETXF":{"priceDimensions":{"CD3RPM3TXHQMTAZZ.JRTCKXETXF.6YS6EN2CT7":{"unit":"Hrs","endRange":"Inf","description":"$0.0208 per On Demand Linux t3.small Instance Hour","appliesTo":[],"rateCode":"CD3RPM3TXHQMTAZZ.JRTCKXETXF.6YS6EN2CT7","beginRange":"0","pricePerUnit":{"USD":"0.0208000000"}}},"sku":"CD3RPM3TXHQMTAZZ","effectiveDate":"2026-11-01T00:00:00Z","offerTermCode":"JRTCKXETXF","termAttributes":{}}},"Reserved":{"CD3RPM3TXHQMTAZZ.4NA7Y494T4":{"priceDimensions":{"CD3RPM3TXHQMTAZZ.4NA7Y494T4.6YS6EN2CT7":{"unit":"Hrs","endRange":"Inf","description":"Linux/UNIX (Amazon VPC), t3.small reserved instance applied","appliesTo":[],"rateCode":"CD3RPM3TXHQMTAZZ.4NA7Y494T4.6YS6EN2CT7","beginRange":"0","pricePerUnit":{"USD":"0.0130000000"}}},"sku":"CD3RPM3TXHQMTAZZ","effectiveDate":"2026-11-01T00:00:00Z","offerTermCode":"4NA7Y494T4","termAttributes":{"LeaseContractLength":"1yr","OfferingClass":"standard","PurchaseOption":"No Upfront"}}}},"version":"20261101000000","publicationDate":"2026-11-01T00:00:00Z"}';

interface ProductSpec {
  sku: string;
  serviceCode: string;
  productFamily: string;
  attributes: Record<string, string>;
  unit: string;
  usd: string;
  description: string;
}

/** A product in the documented shape (key order as AWS writes it). */
function product(p: ProductSpec): string {
  const term = `${p.sku}.JRTCKXETXF`;
  const rate = `${term}.6YS6EN2CT7`;
  return JSON.stringify({
    product: { productFamily: p.productFamily, attributes: { ...p.attributes, servicecode: p.serviceCode, locationType: 'AWS Region', location: 'US East (N. Virginia)', regionCode: 'us-east-1' }, sku: p.sku },
    serviceCode: p.serviceCode,
    terms: {
      OnDemand: {
        [term]: {
          priceDimensions: { [rate]: { unit: p.unit, endRange: 'Inf', description: p.description, appliesTo: [], rateCode: rate, beginRange: '0', pricePerUnit: { USD: p.usd } } },
          sku: p.sku,
          effectiveDate: '2026-11-01T00:00:00Z',
          offerTermCode: 'JRTCKXETXF',
          termAttributes: {},
        },
      },
    },
    version: '20261101000000',
    publicationDate: '2026-11-01T00:00:00Z',
  });
}

/** us-east-1's products ecs-wizard asks for, and a few neighbours its filters and usagetypes must tell apart. */
export const US_EAST_1_PRODUCTS: string[] = [
  T3_SMALL_US_EAST_1,
  product({ sku: 'WZ2PBX4ZHDSAWG44', serviceCode: 'AmazonEC2', productFamily: 'Compute Instance', attributes: { instanceType: 't4g.small', operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used', licenseModel: 'No License required', usagetype: 'BoxUsage:t4g.small', operation: 'RunInstances' }, unit: 'Hrs', usd: '0.0168000000', description: '$0.0168 per On Demand Linux t4g.small Instance Hour' }),
  // Not in the bundled table: only the API prices it.
  product({ sku: 'G2Y7M2VBR2J5BA7T', serviceCode: 'AmazonEC2', productFamily: 'Compute Instance', attributes: { instanceType: 'm7i.large', operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used', licenseModel: 'No License required', usagetype: 'BoxUsage:m7i.large', operation: 'RunInstances' }, unit: 'Hrs', usd: '0.1008000000', description: '$0.1008 per On Demand Linux m7i.large Instance Hour' }),
  // A capacity reservation row of the same type (capacitystatus and usagetype differ): never an instance-hour.
  product({ sku: 'Q5KJ7NN24EXSPSSU', serviceCode: 'AmazonEC2', productFamily: 'Compute Instance', attributes: { instanceType: 't3.small', operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'UnusedCapacityReservation', licenseModel: 'No License required', usagetype: 'Reservation:t3.small', operation: 'RunInstances' }, unit: 'Hrs', usd: '0.0208000000', description: '$0.0208 per Unused Reservation Linux t3.small Instance Hour' }),
  product({ sku: 'TKZ5SCMAKPRKXRQE', serviceCode: 'AWSELB', productFamily: 'Load Balancer-Application', attributes: { usagetype: 'LoadBalancerUsage', operation: 'LoadBalancing:Application', groupDescription: 'Used Application load balancer hour' }, unit: 'Hrs', usd: '0.0225000000', description: '$0.0225 per Application LoadBalancer-hour (or partial hour)' }),
  product({ sku: 'BTPGE3XTQ7PPRBUH', serviceCode: 'AWSELB', productFamily: 'Load Balancer-Application', attributes: { usagetype: 'LCUUsage', operation: 'LoadBalancing:Application', groupDescription: 'Used Application load balancer capacity units-hr' }, unit: 'LCU-Hrs', usd: '0.0080000000', description: '$0.008 per used Application load balancer capacity unit-hour (or partial hour)' }),
  product({ sku: 'M2YSHUBETB3JX4M4', serviceCode: 'AmazonEC2', productFamily: 'NAT Gateway', attributes: { usagetype: 'NatGateway-Hours', operation: 'NatGateway', group: 'NGW:NatGateway' }, unit: 'Hrs', usd: '0.0450000000', description: '$0.045 per NAT Gateway Hour' }),
  product({ sku: 'Y3PKW3SE8NZAFHTH', serviceCode: 'AmazonEC2', productFamily: 'NAT Gateway', attributes: { usagetype: 'NatGateway-Bytes', operation: 'NatGateway', group: 'NGW:NatGateway' }, unit: 'GB', usd: '0.0450000000', description: '$0.045 per GB Data Processed by NAT Gateways' }),
  product({ sku: 'NZ7W6Q4UJQKR2VSE', serviceCode: 'AmazonVPC', productFamily: 'VPC Public IPv4 Address', attributes: { usagetype: 'PublicIPv4:InUseAddress', operation: '', group: 'VPCPublicIPv4Address' }, unit: 'Hrs', usd: '0.0050000000', description: '$0.005 per In-use public IPv4 address per hour' }),
  product({ sku: 'AF7RB8RA7RRSDKMS', serviceCode: 'AmazonVPC', productFamily: 'VPC Public IPv4 Address', attributes: { usagetype: 'PublicIPv4:IdleAddress', operation: '', group: 'VPCPublicIPv4Address' }, unit: 'Hrs', usd: '0.0050000000', description: '$0.005 per Idle public IPv4 address per hour' }),
  product({ sku: 'VBHQMKX8XDUHGBSX', serviceCode: 'AmazonEC2', productFamily: 'Storage', attributes: { volumeApiName: 'gp3', volumeType: 'General Purpose', storageMedia: 'SSD-backed', usagetype: 'EBS:VolumeUsage.gp3', operation: '' }, unit: 'GB-Mo', usd: '0.0800000000', description: '$0.08 per GB-month of General Purpose (gp3) provisioned storage - US East (N. Virginia)' }),
  product({ sku: '4QHAYNF2KB5MR2YF', serviceCode: 'AmazonCloudWatch', productFamily: 'Data Payload', attributes: { usagetype: 'DataProcessing-Bytes', operation: 'PutLogEvents', group: 'Ingested Logs' }, unit: 'GB', usd: '0.5000000000', description: '$0.50 per GB custom log data ingested' }),
  product({ sku: 'QFKDHS5W6KK4YM5G', serviceCode: 'AmazonCloudWatch', productFamily: 'Data Payload', attributes: { usagetype: 'DataProcessingIA-Bytes', operation: 'PutLogEvents', group: 'Ingested Logs IA' }, unit: 'GB', usd: '0.2500000000', description: '$0.25 per GB custom log data ingested - Infrequent Access' }),
  product({ sku: 'WCTPUFFFMYAAM6BQ', serviceCode: 'AmazonECR', productFamily: 'EC2 Container Registry', attributes: { usagetype: 'TimedStorage-ByteHrs', operation: '' }, unit: 'GB-Mo', usd: '0.1000000000', description: '$0.10 per GB-month of data storage' }),
];

interface Filter {
  Type?: string;
  Field?: string;
  Value?: string;
}

/**
 * GetProducts over a catalogue, as the API filters: every TERM_MATCH filter must match the
 * service code, the product family, or the attribute of that name (a product without the
 * attribute does not match). No match is an empty PriceList, as AWS answers.
 */
export function getProducts(catalogue: string[], input: { ServiceCode?: string; Filters?: Filter[] }): { FormatVersion: string; PriceList: string[] } {
  const matches = catalogue.filter((text) => {
    const doc = JSON.parse(text) as { serviceCode: string; product: { productFamily?: string; attributes: Record<string, string> } };
    if (input.ServiceCode && doc.serviceCode !== input.ServiceCode) return false;
    return (input.Filters ?? []).every((f) => {
      const value = f.Field === 'ServiceCode' ? doc.serviceCode : f.Field === 'productFamily' ? doc.product.productFamily : doc.product.attributes[f.Field ?? ''];
      return value === f.Value;
    });
  });
  return { FormatVersion: 'aws_v1', PriceList: matches };
}
