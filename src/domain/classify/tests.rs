use super::*;
use crate::components::fixtures::recorded_failure as recorded;

fn ctx(region: &str) -> ClassifyContext {
    ClassifyContext::for_request(&ProvisionRequest {
        subscription_id: "11111111-2222-3333-4444-555555555555".into(),
        resource_group: "rg-aks-dev".into(),
        region: region.into(),
        cluster_name: "aks-demo".into(),
        node_sku: "Standard_NC6s_v3".into(),
        node_count: 3,
        system_vm_size: "Standard_D2s_v3".into(),
        system_node_count: 1,
        kubernetes_version: String::new(),
    })
}

fn err(status: u16, code: &str, message: &str) -> ArmErrorInfo {
    ArmErrorInfo {
        status: Some(status),
        code: code.into(),
        message: message.into(),
        details: vec![],
    }
}

#[test]
fn aks_regional_quota_names_needed_and_free_vcpus() {
    let e = err(
        400,
        "ErrCode_InsufficientVCPUQuota",
        "Insufficient regional vcpu quota left for location eastus. left regional vcpu quota \
         6, requested quota 14. Please refer to https://aka.ms/aks/quotaincrease",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::Quota);
    assert_eq!(
        c.headline,
        "Not enough vCPU quota in eastus: needs 14 vCPUs, 6 free."
    );
    assert!(c.actions[0].label.contains("quota increase"));
    assert!(c.details.contains("11111111-2222-3333-4444-555555555555"));
}

#[test]
fn compute_family_quota_from_a_nested_detail() {
    let e = ArmErrorInfo {
        status: Some(409),
        code: "OperationNotAllowed".into(),
        message: "Operation could not be completed as it results in exceeding approved \
                  standardDSv3Family Cores quota. Additional details - Deployment Model: \
                  Resource Manager, Location: westeurope, Current Limit: 10, Current Usage: 8, \
                  Additional Required: 4, (Minimum) New Limit Required: 12."
            .into(),
        details: vec![],
    };
    let c = classify_arm_error(&e, &ctx("westeurope"));
    assert_eq!(c.category, Category::Quota);
    assert_eq!(
        c.headline,
        "Not enough vCPU quota for standardDSv3Family in westeurope: needs 4 vCPUs, 2 free."
    );
}

#[test]
fn blocked_size_names_the_size_and_region() {
    let e = err(
        400,
        "BadRequest",
        "The VM size of Standard_NC24ads_A100_v4 is not allowed in your subscription in \
         location 'koreacentral'.",
    );
    let c = classify_arm_error(&e, &ctx("koreacentral"));
    assert_eq!(c.category, Category::SkuBlocked);
    assert_eq!(
        c.headline,
        "Standard_NC24ads_A100_v4 is not available to this subscription in koreacentral."
    );
}

#[test]
fn allocation_failures_are_recognised_inside_a_generic_wrapper() {
    for code in [
        "ZonalAllocationFailed",
        "AllocationFailed",
        "OverconstrainedAllocationRequest",
    ] {
        let e = ArmErrorInfo {
            status: None,
            code: "ReconcileVMSSAgentPoolFailed".into(),
            message: "Code=\"ZonalAllocationFailed\" Message=\"Allocation failed. We do not \
                      have sufficient capacity for the requested VM size in this zone.\""
                .into(),
            details: vec![ArmErrorCause {
                code: code.into(),
                message: "Allocation failed.".into(),
            }],
        };
        let c = classify_arm_error(&e, &ctx("westeurope"));
        assert_eq!(c.category, Category::Allocation, "{code}");
        assert!(c.headline.contains("no capacity"));
    }
}

#[test]
fn policy_denial_names_the_policy() {
    let e = err(
        403,
        "RequestDisallowedByPolicy",
        "Resource 'aks-prod' was disallowed by policy. Policy identifiers: \
         '[{\"policyAssignment\":{\"name\":\"Allowed locations\",\"id\":\"/subscriptions/1/\
         providers/Microsoft.Authorization/policyAssignments/abc\"},\"policyDefinition\":{\
         \"name\":\"Allowed locations\"}}]'.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::Policy);
    assert_eq!(
        c.headline,
        "Blocked by the Azure Policy \"Allowed locations\"."
    );
}

#[test]
fn unregistered_provider_says_which_namespace() {
    let e = err(
        409,
        "MissingSubscriptionRegistration",
        "The subscription is not registered to use namespace 'Microsoft.ContainerService'. \
         See https://aka.ms/rps-not-found for how to register subscriptions.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::ProviderRegistration);
    assert!(c.headline.contains("Microsoft.ContainerService"));
    assert!(
        c.details
            .contains("az provider register --namespace Microsoft.ContainerService")
    );
    // `NoRegisteredProviderFound` with an API version is not fixed by registering: see
    // an_unknown_api_version_is_not_a_registration_problem.
}

#[test]
fn permission_auth_throttling_region_and_cancel() {
    let e = err(
        403,
        "AuthorizationFailed",
        "The client 'x' with object id 'y' does not have authorization to perform action \
         'Microsoft.Resources/subscriptions/resourcegroups/write' over scope \
         '/subscriptions/1/resourcegroups/rg' or the scope is invalid.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::RgPermission);
    assert!(
        c.headline
            .contains("Microsoft.Resources/subscriptions/resourcegroups/write")
    );

    let e = err(
        401,
        "InvalidAuthenticationToken",
        "The access token is invalid.",
    );
    assert_eq!(
        classify_arm_error(&e, &ctx("eastus")).category,
        Category::Auth
    );

    let e = err(429, "TooManyRequests", "The request is being throttled.");
    assert_eq!(
        classify_arm_error(&e, &ctx("eastus")).category,
        Category::Throttled
    );

    let e = err(
        400,
        "LocationNotAvailableForResourceType",
        "The provided location 'marscentral' is not available for resource type \
         'Microsoft.ContainerService/managedClusters'.",
    );
    let c = classify_arm_error(&e, &ctx("marscentral"));
    assert_eq!(c.category, Category::Region);
    assert!(c.headline.contains("marscentral"));

    let e = err(0, "Canceled", "Operation was canceled by the user.");
    assert_eq!(
        classify_arm_error(&e, &ctx("eastus")).category,
        Category::Cancelled
    );
}

#[test]
fn unknown_errors_keep_the_text_without_repeated_tails() {
    let e = err(
        500,
        "InternalServerError",
        "Something unexpected happened in the cluster reconciler. Code: InternalServerError \
         Message: Something unexpected happened in the cluster reconciler.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::Unknown);
    assert_eq!(
        c.headline,
        "Something unexpected happened in the cluster reconciler."
    );
    assert_eq!(
        c.details,
        "InternalServerError · Something unexpected happened in the cluster reconciler."
    );
}

// ----- the real messages of issue 15 -----

#[test]
fn quota_text_without_a_quota_code_is_quota() {
    for code in ["", "BadRequest", "InvalidTemplateDeployment"] {
        let e = err(
            400,
            code,
            "Insufficient regional vcpu quota left for location westus2. left regional vcpu \
             quota 4, requested quota 6. If you want to increase the quota, please follow \
             this instruction: https://learn.microsoft.com/en-us/azure/quotas/view-quotas.",
        );
        let c = classify_arm_error(&e, &ctx("westus2"));
        assert_eq!(c.category, Category::Quota, "{code:?}");
        assert_eq!(
            c.headline,
            "Not enough vCPU quota in westus2: needs 6 vCPUs, 4 free."
        );
    }
}

#[test]
fn family_quota_names_the_family() {
    let e = err(
        400,
        "ErrCode_InsufficientVCPUQuota",
        "Insufficient vcpu quota requested 24, remaining 6 for family standardEASv4Family \
         for region northeurope. If you want to increase the quota, please follow this \
         instruction: https://learn.microsoft.com/en-us/azure/quotas/view-quotas.",
    );
    let c = classify_arm_error(&e, &ctx("northeurope"));
    assert_eq!(
        c.headline,
        "Not enough vCPU quota for standardEASv4Family in northeurope: needs 24 vCPUs, 6 free."
    );
}

#[test]
fn arm_core_quota_reads_maximum_and_current() {
    let e = err(
        400,
        "QuotaExceeded",
        "Operation results in exceeding quota limits of Core. Maximum allowed: 450, Current \
         in use: 449, Additional requested: 8.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(
        c.headline,
        "Not enough vCPU quota in eastus: needs 8 vCPUs, 1 free."
    );
}

#[test]
fn resource_and_subscription_not_found_say_what_is_missing() {
    let e = err(
        404,
        "ResourceGroupNotFound",
        "Resource group 'rg-missing' could not be found.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::NotFound);
    assert_eq!(c.headline, "Resource group rg-missing does not exist.");
    let e = err(
        404,
        "SubscriptionNotFound",
        "The subscription '99999999-2222-3333-4444-555555555555' could not be found.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::NotFound);
    assert_eq!(
        c.headline,
        "Subscription 99999999-2222-3333-4444-555555555555 was not found."
    );
}

#[test]
fn aks_capacity_codes_are_capacity() {
    for code in ["AKSCapacityError", "AksCapacityHeavyUsage"] {
        let e = err(
            400,
            code,
            "AKS is experiencing heavy usage in region westeurope. We are working on adding \
             new capacity. In the meantime, please consider creating new AKS clusters in a \
             different region.",
        );
        let c = classify_arm_error(&e, &ctx("westeurope"));
        assert_eq!(c.category, Category::Capacity, "{code}");
        assert_eq!(
            c.headline,
            "AKS is short of capacity in westeurope right now."
        );
    }
}

#[test]
fn codes_known_only_from_the_message_text_are_used() {
    let e = err(
        0,
        "ReconcileVMSSAgentPoolFailed",
        "Reconcile vmss agent pool error: VMSSAgentPoolReconciler retry failed: Category: \
         InternalError; SubCode: ZonalAllocationFailed; Dependency: \
         Microsoft.Compute/VirtualMachineScaleSet; OrginalError: Code=\"ZonalAllocationFailed\" \
         Message=\"Allocation failed. We do not have sufficient capacity for the requested VM \
         size in this zone.\"; AKSTeam: NodeProvisioning",
    );
    let c = classify_arm_error(&e, &ctx("westeurope"));
    assert_eq!(c.category, Category::Allocation);
    assert!(c.headline.contains("chosen zones"), "{}", c.headline);
}

#[test]
fn throttling_inside_an_async_failure_is_throttled() {
    let e = ArmErrorInfo {
        status: None,
        code: "ResourceOperationFailure".into(),
        message: "The resource operation completed with terminal provisioning state 'Failed'."
            .into(),
        details: vec![ArmErrorCause {
            code: "TooManyRequestsReceived".into(),
            message: "Number of write requests for subscription '1' exceeded the limit of \
                      '1200' for time interval '01:00:00'. Please try again after '5' seconds."
                .into(),
        }],
    };
    assert_eq!(
        classify_arm_error(&e, &ctx("eastus")).category,
        Category::Throttled
    );
}

#[test]
fn the_agent_pool_headline_names_the_size_that_was_asked_for() {
    let e = err(
        400,
        "BadRequest",
        "The VM size of AgentPoolProfile:nodepool1 is not allowed in your subscription in \
         location 'westus'. The available VM sizes are Standard_D16_v3,Standard_D2_v3,\
         Standard_D4_v3,Standard_D8_v3,Standard_DS1_v2,Standard_DS2_v2",
    );
    let c = classify_arm_error(&e, &ctx("westus"));
    assert_eq!(c.category, Category::SkuBlocked);
    assert_eq!(
        c.headline,
        "Standard_NC6s_v3 is not available to this subscription in westus."
    );
    assert!(
        c.details.contains("Standard_D16_v3, Standard_D2_v3"),
        "{}",
        c.details
    );
    assert!(c.details.contains("and 1 more"), "{}", c.details);
    // Without the request's pools, it names the pool rather than a wrong size.
    let bare = ClassifyContext {
        region: "westus".into(),
        ..ClassifyContext::default()
    };
    assert_eq!(
        classify_arm_error(&e, &bare).headline,
        "The VM size of node pool nodepool1 is not available to this subscription in westus."
    );
}

#[test]
fn linked_authorization_quotes_the_action_that_is_missing() {
    let e = err(
        403,
        "LinkedAuthorizationFailed",
        "The client '12345678-1234-1234-1234-123456789098' with object id \
         '11111111-aaaa-bbbb-cccc-222222222222' has permission to perform action \
         'Microsoft.ContainerService/managedClusters/write' on scope \
         '/subscriptions/1/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks'; \
         however, it does not have permission to perform action \
         'Microsoft.Network/virtualNetworks/subnets/join/action' on the linked scope(s) \
         '/subscriptions/1/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/s' \
         or the linked scope(s) are invalid.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::RgPermission);
    assert!(
        c.headline
            .contains("Microsoft.Network/virtualNetworks/subnets/join/action"),
        "{}",
        c.headline
    );
    assert!(
        !c.headline.contains("managedClusters/write"),
        "{}",
        c.headline
    );
    assert_eq!(
        c.command.as_deref(),
        Some(
            "az role assignment create --assignee-object-id 11111111-aaaa-bbbb-cccc-222222222222 \
             --role \"Network Contributor\" --scope \
             /subscriptions/1/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/s"
        )
    );
}

#[test]
fn authorization_failed_offers_the_role_assignment_command() {
    let e = err(
        403,
        "AuthorizationFailed",
        "The client 'dashboard@example.com' with object id \
         'aaaaaaaa-1111-2222-3333-bbbbbbbbbbbb' does not have authorization to perform \
         action 'Microsoft.ContainerService/managedClusters/write' over scope \
         '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aks-dev/providers/Microsoft.ContainerService/managedClusters/aks-demo' \
         or the scope is invalid. If access was recently granted, please refresh your \
         credentials.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    let command = "az role assignment create --assignee-object-id \
                   aaaaaaaa-1111-2222-3333-bbbbbbbbbbbb --role \"Contributor\" --scope \
                   /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aks-dev/providers/Microsoft.ContainerService/managedClusters/aks-demo";
    assert_eq!(c.command.as_deref(), Some(command));
    assert!(c.details.contains(command));
}

#[test]
fn the_operation_not_allowed_rule_ignores_case() {
    for code in [
        "OperationNotAllowed",
        "operationNotAllowed",
        "OPERATIONNOTALLOWED",
    ] {
        let quota = err(
            409,
            code,
            "Operation could not be completed as it results in exceeding approved \
             standardDSv3Family Cores quota.",
        );
        assert_eq!(
            classify_arm_error(&quota, &ctx("eastus")).category,
            Category::Quota,
            "{code}"
        );
        let busy = err(
            409,
            code,
            "Operation is not allowed because there's an in progress create managed cluster \
             operation (ID 1) on managed cluster 'aks'.",
        );
        assert_eq!(
            classify_arm_error(&busy, &ctx("eastus")).category,
            Category::OperationConflict,
            "{code}"
        );
    }
}

#[test]
fn create_time_codes_of_the_aks_error_page_have_a_headline_and_an_action() {
    let cases: &[(&str, Category)] = &[
        ("AKSOperationPreempted", Category::OperationConflict),
        ("AKSOperationPreemptedByDelete", Category::OperationConflict),
        ("SubnetIsFull", Category::Network),
        ("InsufficientSubnetSize", Category::Network),
        ("ServiceCidrOverlapExistingSubnetsCidr", Category::Network),
        ("DnsServiceIPOutOfServiceCidr", Category::Network),
        ("InvalidResourceReference", Category::Network),
        ("OutboundConnFailVMExtensionError", Category::NodeBootstrap),
        (
            "K8sAPIServerConnFailVMExtensionError",
            Category::NodeBootstrap,
        ),
        (
            "K8sAPIServerDNSLookupFailVMExtensionError",
            Category::NodeBootstrap,
        ),
        (
            "CustomPrivateDNSZoneMissingPermissionError",
            Category::ClusterIdentity,
        ),
        ("VMExtensionProvisioningError", Category::NodeBootstrap),
        ("ServicePrincipalNotFound", Category::ClusterIdentity),
        ("K8sVersionNotSupported", Category::KubernetesVersion),
        ("ReadOnlyDisabledSubscription", Category::SubscriptionState),
        ("PublicIPCountLimitReached", Category::Quota),
        ("AvailabilityZoneNotSupported", Category::SkuBlocked),
        ("RequestDisallowedByPolicy", Category::Policy),
        ("AKSCapacityError", Category::Capacity),
        ("ZonalAllocationFailed", Category::Allocation),
        ("OverconstrainedAllocationRequest", Category::Allocation),
        ("LinkedAuthorizationFailed", Category::RgPermission),
        ("QuotaExceeded", Category::Quota),
    ];
    for (code, category) in cases {
        let c = classify_arm_error(&err(400, code, "Something went wrong."), &ctx("eastus"));
        assert_eq!(c.category, *category, "{code}");
        assert!(
            !c.headline.is_empty() && !c.headline.contains("Something"),
            "{code}: {}",
            c.headline
        );
        assert!(!c.actions.is_empty(), "{code} has an action");
    }
}

#[test]
fn an_unknown_api_version_is_not_a_registration_problem() {
    let e = err(
        400,
        "NoRegisteredProviderFound",
        "No registered resource provider found for location 'eastus' and API version \
         '2099-01-01' for type 'managedClusters'. The supported api-versions are '2024-09-01'.",
    );
    let c = classify_arm_error(&e, &ctx("eastus"));
    assert_eq!(c.category, Category::InvalidRequest);
    assert_eq!(
        c.headline,
        "Azure does not accept API version 2099-01-01 here."
    );
}

#[test]
fn portal_links_follow_the_configured_cloud() {
    let e = err(
        400,
        "ErrCode_InsufficientVCPUQuota",
        "Insufficient vcpu quota",
    );
    let china = ctx("chinaeast2").with_portal("https://portal.azure.cn/");
    let c = classify_arm_error(&e, &china);
    assert!(
        c.actions[0]
            .url
            .starts_with("https://portal.azure.cn/#view/"),
        "{}",
        c.actions[0].url
    );
    let public = classify_arm_error(&e, &ctx("eastus"));
    assert!(
        public.actions[0]
            .url
            .starts_with("https://portal.azure.com/#view/")
    );
}

#[test]
fn a_quota_failure_reads_as_a_quota_headline() {
    let f = recorded(
        JobStatus::Failed,
        "ErrCode_InsufficientVCPUQuota",
        "Insufficient regional vcpu quota left for location eastus. left regional vcpu quota 6, \
         requested quota 14.",
    );
    let c = explain_failure(&f);
    assert_eq!(c.category, Category::Quota);
    assert!(
        c.headline.contains("needs 14 vCPUs, 6 free"),
        "{}",
        c.headline
    );
    assert!(!c.actions.is_empty());
}

#[test]
fn a_cancel_reads_as_cancelled_whatever_the_recorded_code() {
    let mut f = recorded(JobStatus::Cancelled, "OperationAborted", "aborted by user");
    let c = explain_failure(&f);
    assert_eq!(c.category, Category::Cancelled);
    assert!(c.headline.to_lowercase().contains("cancelled"));
    f.partial_cluster = Some(crate::domain::PartialCluster {
        resource_id: "/x".into(),
        portal_url: "https://portal.azure.com/#resource/x".into(),
        last_state: Some("Creating".into()),
        abort_requested: false,
    });
    assert!(
        explain_failure(&f)
            .details
            .contains("part of it may remain")
    );
}

#[test]
fn nested_details_of_the_raw_answer_are_classified() {
    let mut f = recorded(JobStatus::Failed, "", "");
    f.error_code = None;
    f.error_message = None;
    f.raw_error = Some(
        r#"{"error":{"code":"BadRequest","message":"Deployment failed.","details":[{"code":"ZonalAllocationFailed","message":"No capacity."}]}}"#
            .into(),
    );
    assert_eq!(explain_failure(&f).category, Category::Allocation);
}
