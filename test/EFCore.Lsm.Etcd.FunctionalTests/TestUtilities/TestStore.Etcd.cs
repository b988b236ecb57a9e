using EFCore.Lsm.Etcd.FunctionalTests.TestUtilities;

namespace EFCore.Lsm.FunctionalTests.TestUtilities;

/// <summary>Runs the linked functional suite on the shared etcd test cluster (<see cref="EtcdTestStoreBackend"/>).</summary>
public static partial class TestStore
{
    static partial void UseOtherBackend(ref ITestStoreBackend? backend) => backend = EtcdTestStoreBackend.Instance;
}
