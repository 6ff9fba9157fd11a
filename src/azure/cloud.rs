//! Which Azure cloud the dashboard works in: public Azure, Azure operated by 21Vianet (China) or
//! Azure Government. The cloud decides where tokens come from (the sign-in authority) and where
//! portal links point; each can also be set explicitly for a cloud not listed here.
//! The ARM endpoint itself is `ARM_ENDPOINT` (its token scope follows it, see
//! [`arm_scope`](super::credential::arm_scope)).

use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};

/// A national cloud of Azure, with its well-known hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AzureCloud {
    /// Public Azure (`management.azure.com`).
    #[default]
    Public,
    /// Azure operated by 21Vianet (`management.chinacloudapi.cn`).
    China,
    /// Azure Government (`management.usgovcloudapi.net`).
    Usgov,
}

impl AzureCloud {
    /// Where tokens for this cloud are issued.
    pub fn authority_host(self) -> &'static str {
        match self {
            Self::Public => "https://login.microsoftonline.com",
            Self::China => "https://login.chinacloudapi.cn",
            Self::Usgov => "https://login.microsoftonline.us",
        }
    }

    /// The Azure portal of this cloud.
    pub fn portal(self) -> &'static str {
        match self {
            Self::Public => crate::domain::classify::PUBLIC_PORTAL,
            Self::China => "https://portal.azure.cn",
            Self::Usgov => "https://portal.azure.us",
        }
    }

    /// The Resource Manager endpoint of this cloud (what `ARM_ENDPOINT` should be).
    pub fn arm_endpoint(self) -> &'static str {
        match self {
            Self::Public => "https://management.azure.com",
            Self::China => "https://management.chinacloudapi.cn",
            Self::Usgov => "https://management.usgovcloudapi.net",
        }
    }
}

/// The cloud as configured: a known cloud, optionally with its sign-in authority or portal
/// replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloudSettings {
    pub cloud: AzureCloud,
    pub authority_host: Option<String>,
    pub portal: Option<String>,
}

impl CloudSettings {
    pub fn authority_host(&self) -> &str {
        self.authority_host
            .as_deref()
            .map(|h| h.trim_end_matches('/'))
            .filter(|h| !h.is_empty())
            .unwrap_or(self.cloud.authority_host())
    }

    /// The portal links point into, without a trailing slash.
    pub fn portal(&self) -> &str {
        self.portal
            .as_deref()
            .map(|p| p.trim_end_matches('/'))
            .filter(|p| !p.is_empty())
            .unwrap_or(self.cloud.portal())
    }

    /// The cloud for azure_identity's credentials.
    pub fn identity_cloud(&self) -> Arc<CloudConfiguration> {
        let cloud = match (&self.authority_host, self.cloud) {
            (Some(_), _) => {
                let mut custom = CustomConfiguration::default();
                custom.authority_host = self.authority_host().to_string();
                custom.into()
            }
            (None, AzureCloud::Public) => CloudConfiguration::AzurePublic,
            (None, AzureCloud::China) => CloudConfiguration::AzureChina,
            (None, AzureCloud::Usgov) => CloudConfiguration::AzureGovernment,
        };
        Arc::new(cloud)
    }

    /// A warning when `arm_endpoint` is not this cloud's Resource Manager (tokens from one cloud
    /// are refused by another).
    pub fn mismatch(&self, arm_endpoint: &str) -> Option<String> {
        let host = |url: &str| {
            reqwest::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        };
        let expected = self.cloud.arm_endpoint();
        let known = [AzureCloud::Public, AzureCloud::China, AzureCloud::Usgov];
        let other = known
            .iter()
            .find(|c| **c != self.cloud && host(c.arm_endpoint()) == host(arm_endpoint))?;
        Some(format!(
            "ARM_ENDPOINT {arm_endpoint} belongs to the {other:?} cloud, but AZURE_CLOUD is \
             {:?} (whose endpoint is {expected})",
            self.cloud
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cloud_has_its_hosts_and_overrides_win() {
        let china = CloudSettings {
            cloud: AzureCloud::China,
            ..CloudSettings::default()
        };
        assert_eq!(china.authority_host(), "https://login.chinacloudapi.cn");
        assert_eq!(china.portal(), "https://portal.azure.cn");
        assert_eq!(*china.identity_cloud(), CloudConfiguration::AzureChina);
        let custom = CloudSettings {
            cloud: AzureCloud::Public,
            authority_host: Some("https://login.example.local/".into()),
            portal: Some("https://portal.example.local/".into()),
        };
        assert_eq!(custom.authority_host(), "https://login.example.local");
        assert_eq!(custom.portal(), "https://portal.example.local");
        assert!(matches!(
            *custom.identity_cloud(),
            CloudConfiguration::Custom(_)
        ));
    }

    #[test]
    fn an_endpoint_of_another_cloud_is_named() {
        let public = CloudSettings::default();
        assert!(public.mismatch("https://management.azure.com").is_none());
        assert!(public.mismatch("http://127.0.0.1:4010").is_none());
        let warning = public
            .mismatch("https://management.chinacloudapi.cn/")
            .unwrap_or_default();
        assert!(warning.contains("China"), "{warning}");
    }
}
